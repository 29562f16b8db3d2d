"""Tests of the RBM double's OAuth 2.0 token endpoint: google-auth's service-account credentials get a token; forged
and malformed assertions and requests are refused as Google refuses them; API calls need a token it issued."""

from __future__ import annotations

import time

import google.auth.exceptions
import google.auth.transport.requests
import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.oauth2 import service_account

from tests.providers._rbm_fixtures import TEXT, assertion, send
from tests.providers.rbm import RBM_SCOPE, RbmDouble


# -- the token endpoint ------------------------------------------------------------------------------------------
def test_google_auth_service_account_credentials_get_a_token(rbm: RbmDouble, token: str) -> None:
    assert token.startswith("ya29.") and rbm.oauth.issued[0].scopes == {RBM_SCOPE}


def test_a_key_the_double_did_not_issue_is_refused(rbm: RbmDouble, info: dict) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    credentials = service_account.Credentials.from_service_account_info(
        {**info, "private_key": pem}, scopes=[RBM_SCOPE]
    )
    with pytest.raises(google.auth.exceptions.RefreshError):
        credentials.refresh(google.auth.transport.requests.Request())
    assert rbm.oauth.refused[-1].description == "Invalid JWT Signature." and rbm.oauth.issued == []


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"aud": "https://example.com/token"}, "invalid_grant"),
        ({"iss": "nobody@x.iam.gserviceaccount.com"}, "invalid_grant"),
        ({"exp": int(time.time()) + 7200}, "invalid_grant"),
        ({"exp": int(time.time()) - 10, "iat": int(time.time()) - 100}, "invalid_grant"),
        ({"iat": None}, "invalid_grant"),
        ({"scope": None}, "invalid_scope"),
        ({"sub": "someone@example.com"}, "unauthorized_client"),
    ],
)
def test_each_claim_rule_refuses_a_badassertion(rbm: RbmDouble, info: dict, changes: dict, error: str) -> None:
    form = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion(info, **changes)}
    response = requests.post(rbm.token_uri, data=form, timeout=10)
    assert response.status_code in (400, 401) and response.json()["error"] == error
    good = {**form, "assertion": assertion(info)}
    assert requests.post(rbm.token_uri, data=good, timeout=10).json()["token_type"] == "Bearer"


def test_request_shape_rules_refuse_bad_token_requests(rbm: RbmDouble, info: dict) -> None:
    hs256 = jwt.encode({"iss": info["client_email"]}, "a-shared-secret-of-at-least-32-bytes", algorithm="HS256")
    now, jwt_bearer = int(time.time()), "urn:ietf:params:oauth:grant-type:jwt-bearer"
    wrong_kid = jwt.encode(
        jwt.decode(assertion(info), options={"verify_signature": False}),
        info["private_key"],
        algorithm="RS256",
        headers={"kid": "0" * 40},
    )
    cases = [
        ({"grant_type": jwt_bearer, "assertion": wrong_kid}, "invalid_grant"),
        ({"grant_type": jwt_bearer, "assertion": assertion(info, iat=now + 600, exp=now + 900)}, "invalid_grant"),
        ({"grant_type": jwt_bearer, "assertion": assertion(info, iat=now, exp=now)}, "invalid_grant"),
        ({"grant_type": "client_credentials", "assertion": assertion(info)}, "unsupported_grant_type"),
        ({"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer"}, "invalid_request"),
        ({"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": hs256}, "invalid_grant"),
    ]
    for form, error in cases:
        assert requests.post(rbm.token_uri, data=form, timeout=10).json()["error"] == error
    as_json = requests.post(rbm.token_uri, json=cases[-1][0], timeout=10)
    assert as_json.json()["error"] == "invalid_request"
    assert requests.get(rbm.token_uri, timeout=10).status_code == 405
    assert rbm.oauth.issued == []


# -- API authentication ------------------------------------------------------------------------------------------
def test_api_calls_need_a_bearer_token_the_double_issued(rbm: RbmDouble, info: dict) -> None:
    for token in ("", "ya29.not-issued"):
        response = send(rbm, token, TEXT)
        assert (response.status_code, response.json()["error"]["status"]) == (401, "UNAUTHENTICATED")
    form = {
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "assertion": assertion(info, scope="https://www.googleapis.com/auth/cloud-platform"),
    }
    other_scope = requests.post(rbm.token_uri, data=form, timeout=10).json()["access_token"]
    assert send(rbm, other_scope, TEXT).json()["error"]["status"] == "PERMISSION_DENIED"
    assert rbm.accepted == []
