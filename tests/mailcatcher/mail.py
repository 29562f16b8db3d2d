"""Messages for the mailcatcher tests: a well-formed one, and raw bytes with one thing wrong."""

from __future__ import annotations

from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

CUSTOMER = "ann.customer@example.org"
BOT = "support@shop.example.com"

GOOD_HEADERS = (
    f"From: Support <{BOT}>\r\n"
    f"To: {CUSTOMER}\r\n"
    "Subject: Your order 10023\r\n"
    "Date: Tue, 03 Dec 2024 09:00:00 +0000\r\n"
    "Message-ID: <order-10023.1@shop.example.com>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=us-ascii\r\n"
)


def raw(headers: str = GOOD_HEADERS, body: str = "Your order has shipped.\r\n") -> bytes:
    return (headers + "\r\n" + body).encode("ascii")


def well_formed(subject: str = "Ihre Bestellung 10023 ist unterwegs – danke!") -> EmailMessage:
    """What the bot's e-mail channel sends: text and HTML alternatives and a PDF, UTF-8 bodies in base64,
    a non-ASCII subject (the email package encodes it with RFC 2047)."""
    message = EmailMessage()
    message["From"] = f"Support <{BOT}>"
    message["To"] = CUSTOMER
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime(2024, 12, 3, 9, 0, tzinfo=timezone.utc))
    message["Message-ID"] = make_msgid(domain="shop.example.com")
    message.set_content("Grüße! Ihre Bestellung ist unterwegs.\n", cte="base64")
    message.add_alternative("<p>Grüße! Ihre <b>Bestellung</b> ist unterwegs.</p>\n", subtype="html", cte="base64")
    message.add_attachment(b"%PDF-1.4 invoice", maintype="application", subtype="pdf", filename="invoice-10023.pdf")
    return message
