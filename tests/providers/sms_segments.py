"""How many SMS segments a body takes, by the GSM-7 / UCS-2 rules Twilio bills by.

Source: /work/shared/specs/messaging.md "Length" (GSM-7: 160 characters, 153 per part when concatenated, the
extension characters ``^{}[]~\\|€`` count twice; UCS-2: 70, 67 per part; one character outside GSM 03.38 turns the
whole message into UCS-2), consistent with Twilio's errors/21617 page (non-GSM-7 characters "use more space").
"""

from __future__ import annotations

# GSM 03.38 basic character set (one septet each). The escape character 0x1B is not sendable text.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# GSM 03.38 extension table: each is an escape plus one septet, so it counts twice.
GSM7_EXTENDED = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


def is_gsm7(text: str) -> bool:
    """True when every character of ``text`` is in the GSM 03.38 basic or extension table."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text)


def _gsm7_units(text: str) -> list[int]:
    return [2 if ch in GSM7_EXTENDED else 1 for ch in text]


def _ucs2_units(text: str) -> list[int]:
    # UCS-2 as sent on the wire is UTF-16: a character outside the BMP (most emoji) is a surrogate pair.
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def _pack(units: list[int], part_size: int) -> int:
    """Greedy packing that never splits one character (an escape pair or a surrogate pair) across two parts."""
    parts, used = 1, 0
    for size in units:
        if used + size > part_size:
            parts, used = parts + 1, 0
        used += size
    return parts


def count_segments(text: str) -> int:
    """Segments for ``text``: 0 for an empty body, else 1 if it fits one SMS, else the concatenated part count."""
    if not text:
        return 0
    units, single, part = (
        (_gsm7_units(text), GSM7_SINGLE, GSM7_PART) if is_gsm7(text) else (_ucs2_units(text), UCS2_SINGLE, UCS2_PART)
    )
    if sum(units) <= single:
        return 1
    return _pack(units, part)


def encoding(text: str) -> str:
    """``"GSM-7"`` or ``"UCS-2"``, the encoding Twilio would pick for ``text`` (without Smart Encoding)."""
    return "GSM-7" if is_gsm7(text) else "UCS-2"
