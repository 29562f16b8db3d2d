"""How domain responses become text-only messages (SMS today, RCS fallbacks).

Pure functions shared by the channels: buttons as numbered choices, the SMS
segment budget (GSM-7 / UCS-2), and the carrier keywords (STOP, HELP...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, List, Mapping, Sequence, Tuple

# The GSM 03.38 basic set; the extension characters cost two septets each.
_GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = set("^{}\\[~]|€\f")

STOP_WORDS = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit"}
START_WORDS = {"start", "unstop"}
HELP_WORDS = {"help", "info"}


@dataclass(frozen=True)
class SegmentCount:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int


def segment_count(text: str) -> SegmentCount:
    """How many SMS segments ``text`` costs (160/153 GSM-7, 70/67 UCS-2 per segment)."""
    if all(ch in _GSM7_BASIC or ch in _GSM7_EXTENDED for ch in text):
        units = sum(2 if ch in _GSM7_EXTENDED else 1 for ch in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
    segments = 1 if units <= single else -(-units // multi)
    return SegmentCount(encoding, units, segments)


def fit_to_segments(text: str, max_segments: int, overflow_link: str | None) -> str:
    """``text`` if it fits; otherwise cut at a word boundary and end with the link."""
    if segment_count(text).segments <= max_segments:
        return text
    tail = f"… More: {overflow_link}" if overflow_link else "…"
    words = text.split(" ")
    while words:
        candidate = " ".join(words) + tail
        if segment_count(candidate).segments <= max_segments:
            return candidate
        words.pop()
    return tail.strip()


def numbered_choices(text: str, buttons: Sequence[Mapping[str, str]]) -> Tuple[str, Dict[str, str]]:
    """Buttons as "Reply 1 for …" lines; returns the text and number -> payload."""
    if not buttons:
        return text, {}
    choices = {str(i): str(b.get("payload") or b.get("title")) for i, b in enumerate(buttons, start=1)}
    lines = [f"{i}: {b.get('title')}" for i, b in enumerate(buttons, start=1)]
    return f"{text}\n" + "\n".join(lines) + "\nReply with a number.", choices


def choice_for(reply: str, choices: Mapping[str, str]) -> str | None:
    """The payload a numbered reply picks ("2", " 2.", "#2"), or None."""
    match = re.fullmatch(r"\s*#?\s*(\d{1,2})\s*[.)]?\s*", reply)
    return choices.get(match.group(1)) if match else None


def carrier_keyword(text: str) -> str | None:
    """ "stop", "start" or "help" when the whole message is such a keyword."""
    word = text.strip().strip(".!").casefold()
    if word in STOP_WORDS:
        return "stop"
    if word in START_WORDS:
        return "start"
    if word in HELP_WORDS:
        return "help"
    return None


def render_for_sms(
    messages: List[Dict], max_segments: int, overflow_link: str | None
) -> Tuple[List[Tuple[str, List[str]]], Dict[str, str]]:
    """Bot messages as (text, media URLs) pairs and the numbered choices offered last."""
    rendered: List[Tuple[str, List[str]]] = []
    choices: Dict[str, str] = {}
    for message in messages:
        text = message.get("text") or ""
        if message.get("buttons"):
            text, choices = numbered_choices(text, message["buttons"])
        media = [message["image"]] if message.get("image") else []
        if text or media:
            rendered.append((fit_to_segments(text, max_segments, overflow_link) if text else "", media))
    return rendered, choices


MAX_CHIPS, MAX_CHIP_CHARS = 11, 25


def _chip_text(title: str) -> str:
    return title if len(title) <= MAX_CHIP_CHARS else title[: MAX_CHIP_CHARS - 1] + "…"


def rcs_content(message: Mapping) -> Dict | None:
    """A bot message as an RBM ``contentMessage``: text with suggested replies
    (at most 11 chips of 25 characters), or a rich card from ``custom.rich_card``."""
    chips = [
        {"reply": {"text": _chip_text(str(b.get("title"))), "postbackData": str(b.get("payload"))}}
        for b in (message.get("buttons") or [])[:MAX_CHIPS]
    ]
    card = (message.get("custom") or {}).get("rich_card")
    if card:
        actions = (
            [
                {
                    "action": {
                        "text": _chip_text(str(card.get("url_text", "Open"))),
                        "postbackData": "open_url",
                        "openUrlAction": {"url": card["url"]},
                    }
                }
            ]
            if card.get("url")
            else []
        )
        content = {"title": card.get("title", ""), "description": card.get("description", ""), "suggestions": actions}
        if card.get("image"):
            content["media"] = {"height": "MEDIUM", "contentInfo": {"fileUrl": card["image"]}}
        return {
            "richCard": {"standaloneCard": {"cardOrientation": "VERTICAL", "cardContent": content}},
            **({"suggestions": chips} if chips else {}),
        }
    if message.get("text"):
        return {"text": message["text"], **({"suggestions": chips} if chips else {})}
    if message.get("image"):
        return {"contentInfo": {"fileUrl": message["image"]}}
    return None
