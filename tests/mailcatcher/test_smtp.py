"""mailcatcher as an SMTP server: real smtplib sessions against it on loopback."""

from __future__ import annotations

import datetime
import ipaddress
import smtplib
import ssl
from pathlib import Path
from typing import Tuple

import pytest

from tests.mailcatcher.conftest import only_message, stored
from tests.mailcatcher.mail import BOT, CUSTOMER, GOOD_HEADERS, raw, well_formed

USER, PASSWORD = "bot", "smtp-pass-for-tests"
CREDENTIALS = {"MAILCATCHER_SMTP_USER": USER, "MAILCATCHER_SMTP_PASSWORD": PASSWORD}


def connect(server) -> smtplib.SMTP:
    return smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=10)


def test_a_well_formed_message_is_stored_parsed_and_without_problems(mailcatcher):
    message = well_formed()
    with connect(mailcatcher) as smtp:
        smtp.send_message(message)
    kept = only_message(mailcatcher)
    assert kept["problems"] == []
    assert (kept["mail_from"], kept["rcpt_to"]) == (BOT, [CUSTOMER])
    assert kept["message_id"] == message["Message-ID"]
    assert kept["from"] == f"Support <{BOT}>" and kept["to"] == CUSTOMER
    assert kept["subject"] == "Ihre Bestellung 10023 ist unterwegs – danke!"
    assert kept["date"] == "Tue, 03 Dec 2024 09:00:00 +0000"
    assert kept["text"] == "Grüße! Ihre Bestellung ist unterwegs.\n"
    assert kept["html"] == "<p>Grüße! Ihre <b>Bestellung</b> ist unterwegs.</p>\n"
    assert kept["attachments"] == [{"filename": "invoice-10023.pdf", "content_type": "application/pdf", "size": 16}]
    assert ["Subject", "Ihre Bestellung 10023 ist unterwegs – danke!"] in kept["headers"]
    assert "raw" not in kept and kept["raw_url"] == f"/api/messages/{kept['id']}/raw"


def test_any_recipient_is_accepted(mailcatcher):
    with connect(mailcatcher) as smtp:
        assert smtp.sendmail(BOT, ["someone@anywhere.test", "else@other.test"], raw()) == {}
    assert only_message(mailcatcher)["rcpt_to"] == ["someone@anywhere.test", "else@other.test"]


WITHOUT_DATE = "".join(line + "\r\n" for line in GOOD_HEADERS.splitlines() if not line.startswith("Date:"))
BROKEN = {
    "missing-date": raw(WITHOUT_DATE),
    "duplicate-header: 2 From headers": raw(GOOD_HEADERS + "From: someone@else.test\r\n"),
    "long-line": raw(body="x" * 1200 + "\r\n"),
    "list-unsubscribe-post": raw(
        GOOD_HEADERS + "List-Unsubscribe: <https://shop.example.com/u/1>\r\nList-Unsubscribe-Post: One-Click\r\n"
    ),  # fmt: skip
    "bare-lf": raw(body="sent with\nbare line feeds\n"),
}


@pytest.mark.parametrize("problem", BROKEN)
def test_a_broken_message_is_stored_with_its_problem(mailcatcher, problem):
    with connect(mailcatcher) as smtp:
        assert smtp.sendmail(BOT, [CUSTOMER], BROKEN[problem]) == {}
    found = only_message(mailcatcher)["problems"]
    assert any(p.startswith(problem) for p in found), found


def test_8bit_bodies_are_a_problem_only_without_8bitmime(mailcatcher):
    headers = GOOD_HEADERS.replace("us-ascii", "utf-8") + "Content-Transfer-Encoding: 8bit\r\n"
    message = (headers + "\r\nGrüße\r\n").encode("utf-8")
    with connect(mailcatcher) as smtp:
        smtp.sendmail(BOT, [CUSTOMER], message)
        smtp.sendmail(BOT, [CUSTOMER], message, mail_options=["BODY=8BITMIME"])
    with_8bitmime, without = stored(mailcatcher)
    assert with_8bitmime["problems"] == [] and with_8bitmime["text"] == "Grüße\r\n"
    assert [p.split(":")[0] for p in without["problems"]] == ["8bit-body"]


def test_a_message_over_the_size_limit_is_refused(start_mailcatcher):
    server = start_mailcatcher(MAILCATCHER_MAX_BYTES="2000")
    big = raw(body="x" * 70 + "\r\n") + b"y" * 70 * 40
    with connect(server) as smtp:
        with pytest.raises(smtplib.SMTPSenderRefused) as declared:  # smtplib declares SIZE= (RFC 1870)
            smtp.sendmail(BOT, [CUSTOMER], big)
        assert declared.value.smtp_code == 552
        smtp.rset()
        smtp.mail(BOT)  # no SIZE=: refused after DATA
        smtp.rcpt(CUSTOMER)
        assert smtp.data(big)[0] == 552
    assert stored(server) == []


def test_without_credentials_configured_no_auth_is_offered_or_needed(mailcatcher):
    with connect(mailcatcher) as smtp:
        smtp.ehlo()
        assert not smtp.has_extn("auth")
        assert smtp.sendmail(BOT, [CUSTOMER], raw()) == {}


def test_with_credentials_mail_before_auth_is_refused(start_mailcatcher):
    server = start_mailcatcher(**CREDENTIALS)
    with connect(server) as smtp:
        smtp.ehlo()
        assert set(smtp.esmtp_features["auth"].split()) == {"PLAIN", "LOGIN"}
        code, reply = smtp.mail(BOT)
        assert (code, reply[:5]) == (530, b"5.7.0")
    assert stored(server) == []


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_with_credentials_a_wrong_password_is_refused_and_the_right_one_sends(start_mailcatcher, mechanism):
    server = start_mailcatcher(**CREDENTIALS)
    with connect(server) as smtp:
        smtp.ehlo()
        smtp.user, smtp.password = USER, PASSWORD + "x"
        authenticate = smtp.auth_plain if mechanism == "PLAIN" else smtp.auth_login
        with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
            smtp.auth(mechanism, authenticate)
        assert refused.value.smtp_code == 535 and refused.value.smtp_error.startswith(b"5.7.8")
        smtp.user, smtp.password = "someone", PASSWORD
        with pytest.raises(smtplib.SMTPAuthenticationError):
            smtp.auth(mechanism, authenticate)
        smtp.login(USER, PASSWORD)
        assert smtp.sendmail(BOT, [CUSTOMER], raw()) == {}
    assert len(stored(server)) == 1


def self_signed(directory: Path) -> Tuple[Path, Path]:
    x509 = pytest.importorskip("cryptography.x509", reason="STARTTLS tests need the cryptography package")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mailcatcher test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    return cert_path, key_path


def test_starttls_encrypts_the_session_before_auth(start_mailcatcher, tmp_path):
    cert, key = self_signed(tmp_path)
    server = start_mailcatcher(**CREDENTIALS, MAILCATCHER_TLS_CERT=str(cert), MAILCATCHER_TLS_KEY=str(key))
    with connect(server) as smtp:
        smtp.ehlo()
        assert smtp.has_extn("starttls")
        assert smtp.starttls(context=ssl.create_default_context(cafile=str(cert)))[0] == 220
        assert isinstance(smtp.sock, ssl.SSLSocket) and smtp.sock.version() in ("TLSv1.2", "TLSv1.3")
        smtp.ehlo()
        smtp.login(USER, PASSWORD)
        assert smtp.sendmail(BOT, [CUSTOMER], raw()) == {}
    assert only_message(server)["problems"] == []
