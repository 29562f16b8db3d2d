"""Google's OAuth 2.0 token endpoint for service accounts (the JWT-bearer grant), as a test double.

Source for every check: "Using OAuth 2.0 for Server to Server Applications"
(https://developers.google.com/identity/protocols/oauth2/service-account, "Preparing to make an authorized API call"
-> "Making the access token request" / "Handling the response"), cited below as *service-account*.
The double generates each service account's RSA key itself, so it can verify assertions exactly as Google does.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from typing import Mapping
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.providers._server import Reply, Request, json_reply

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
MAX_LIFETIME = 3600  # service-account: "exp ... a maximum of 1 hour after the issued time"
CLOCK_SKEW = 60  # the docs are silent on skew; strict: one minute
TOKEN_LIFETIME = 3599


@dataclass(frozen=True)
class IssuedToken:
    """An access token the endpoint issued: to which service account, for which scopes, until when."""

    token: str
    client_email: str
    scopes: frozenset[str]
    expires_at: float


@dataclass(frozen=True)
class TokenRefusal:
    """A token request the endpoint refused: HTTP status, OAuth error code, description and the form posted."""

    http_status: int
    error: str
    description: str
    form: dict


@dataclass(frozen=True)
class _Account:
    client_email: str
    key_id: str
    public_key: rsa.RSAPublicKey


class _Refused(Exception):
    def __init__(self, http_status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.http_status, self.error, self.description = http_status, error, description


class GoogleTokenEndpoint:
    """Issues and checks access tokens. ``issued`` and ``refused`` record every answer, in order."""

    def __init__(self, token_uri: str, project_id: str = "rbm-double") -> None:
        self.token_uri, self.project_id = token_uri, project_id
        self.issued: list[IssuedToken] = []
        self.refused: list[TokenRefusal] = []
        self._accounts: dict[str, _Account] = {}
        self._lock = threading.Lock()

    def new_service_account(self) -> dict:
        """A fresh service-account JSON key (RSA 2048, generated here) whose ``token_uri`` is this endpoint."""
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode("ascii")
        name = f"rbm-agent-{secrets.token_hex(4)}"
        email = f"{name}@{self.project_id}.iam.gserviceaccount.com"
        account = _Account(email, secrets.token_hex(20), private_key.public_key())
        with self._lock:
            self._accounts[email] = account
        return {
            "type": "service_account",
            "project_id": self.project_id,
            "private_key_id": account.key_id,
            "private_key": pem,
            "client_email": email,
            "client_id": str(secrets.randbelow(10**21)).zfill(21),
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": self.token_uri,
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": f"https://www.googleapis.com/robot/v1/metadata/x509/{email}",
            "universe_domain": "googleapis.com",
        }

    def lookup(self, token: str) -> IssuedToken | None:
        """The unexpired token issued with this value, or None."""
        with self._lock:
            for issued in self.issued:
                if secrets.compare_digest(issued.token, token) and issued.expires_at > time.time():
                    return issued
        return None

    def handle(self, request: Request) -> Reply:
        """Answer ``POST /token`` as Google's token endpoint does."""
        form: dict[str, list[str]] = {}
        try:
            form = self._form(request)
            issued = self._grant(form)
        except _Refused as refusal:
            flat = {name: values[0] for name, values in form.items()}
            with self._lock:
                self.refused.append(TokenRefusal(refusal.http_status, refusal.error, refusal.description, flat))
            return json_reply(refusal.http_status, {"error": refusal.error, "error_description": refusal.description})
        with self._lock:
            self.issued.append(issued)
        # service-account "Handling the response": {"access_token": ..., "expires_in": 3599, "token_type": "Bearer"}
        return json_reply(200, {"access_token": issued.token, "expires_in": TOKEN_LIFETIME, "token_type": "Bearer"})

    def _form(self, request: Request) -> dict[str, list[str]]:
        # service-account: the token request is an HTTPS POST "to the Google OAuth 2.0 Authorization Server"
        if request.method != "POST":
            raise _Refused(405, "invalid_request", "The token endpoint only accepts POST.")
        # service-account: "Content-Type: application/x-www-form-urlencoded" (RFC 6749 section 4.1.3)
        if request.header("Content-Type").split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
            raise _Refused(400, "invalid_request", "The request body must be application/x-www-form-urlencoded.")
        return parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)

    def _grant(self, form: Mapping[str, list[str]]) -> IssuedToken:
        grant_type = (form.get("grant_type") or [""])[0]
        # service-account: grant_type "urn:ietf:params:oauth:grant-type:jwt-bearer"
        if grant_type != JWT_BEARER:
            raise _Refused(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")
        assertion = (form.get("assertion") or [""])[0]
        # service-account: "assertion: The JWT, including signature"
        if not assertion:
            raise _Refused(400, "invalid_request", "Missing required parameter: assertion")
        claims = self._verified_claims(assertion)
        self._check_claims(claims)
        scopes = frozenset(str(claims.get("scope") or "").split())
        return IssuedToken(f"ya29.{secrets.token_urlsafe(48)}", claims["iss"], scopes, time.time() + TOKEN_LIFETIME)

    def _verified_claims(self, assertion: str) -> dict:
        try:
            header = jwt.get_unverified_header(assertion)
            unverified = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise _Refused(400, "invalid_grant", f"Invalid JWT: {exc}") from exc
        # service-account "Forming the JWT header": {"alg":"RS256","typ":"JWT"} -- "Service accounts rely on the RSA
        # SHA-256 algorithm"
        if header.get("alg") != "RS256":
            raise _Refused(400, "invalid_grant", "Invalid JWT: the signing algorithm must be RS256.")
        with self._lock:
            account = self._accounts.get(str(unverified.get("iss")))
        # service-account claim set: "iss: The email address of the service account"
        if account is None:
            raise _Refused(400, "invalid_grant", "Invalid grant: account not found")
        # service-account: the JWT is signed with the service account's private key (the key named by kid, if any)
        if "kid" in header and header["kid"] != account.key_id:
            raise _Refused(400, "invalid_grant", "Invalid JWT Signature.")
        try:
            return jwt.decode(
                assertion,
                account.public_key,
                algorithms=["RS256"],
                options={"verify_aud": False, "verify_exp": False, "verify_iat": False, "verify_nbf": False},
            )
        except jwt.PyJWTError as exc:
            raise _Refused(400, "invalid_grant", "Invalid JWT Signature.") from exc

    def _check_claims(self, claims: Mapping[str, object]) -> None:
        # service-account claim set: "aud ... When making an access token request this value is always
        # https://oauth2.googleapis.com/token" (what google-auth sends). The key's own token_uri -- which is that URL
        # in production -- is accepted too.
        if claims.get("aud") not in (GOOGLE_TOKEN_URI, self.token_uri):
            raise _Refused(400, "invalid_grant", "Invalid JWT: Failed audience check.")
        iat, exp, now = claims.get("iat"), claims.get("exp"), time.time()
        # service-account claim set: iat and exp (seconds since the epoch) are required; "exp ... a maximum of 1 hour
        # after the issued time". Error text as Google's: a short-lived token in a reasonable timeframe.
        if (
            not isinstance(iat, int)
            or not isinstance(exp, int)
            or exp - iat > MAX_LIFETIME
            or exp <= now
            or iat > now + CLOCK_SKEW
            or exp <= iat
        ):
            raise _Refused(
                400,
                "invalid_grant",
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check "
                "your iat and exp values in the JWT claim.",
            )
        # service-account claim set: "scope: A space-delimited list of the permissions that the application requests"
        # (required when no target_audience is asked for)
        if not str(claims.get("scope") or "").split():
            raise _Refused(400, "invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        # service-account "Delegating domain-wide authority": sub needs delegation this account was never granted
        if claims.get("sub"):
            raise _Refused(
                401,
                "unauthorized_client",
                "Client is unauthorized to retrieve access tokens using this method, or client not authorized for "
                "any of the scopes requested.",
            )
