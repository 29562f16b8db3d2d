"""How a bot or agent message becomes what a text-only or RCS channel can carry. Pure.

SMS: buttons as numbered choices, rich cards as text, the segment budget
(GSM-7 stays GSM-7 when cut, and the links a message carries survive the cut),
and Twilio's 1,600-character limit per message (longer text goes in parts, in
order). RCS: text with suggestion chips, or rich cards, within RBM's limits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Sequence, Tuple

from bot.channels.capabilities import (
    RCS_MAX_CHARS,
    RCS_MAX_CHIP_CHARS,
    RCS_MAX_CHIPS,
    RCS_MAX_POSTBACK_CHARS,
    SMS_MAX_CHARS,
)

# The GSM 03.38 basic set; the extension characters cost two septets each.
_GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = set("^{}\\[~]|€\f")
_URL = re.compile(r"https?://[^\s<>\"]+")
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class SegmentCount:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int


def is_gsm7(text: str) -> bool:
    return all(ch in _GSM7_BASIC or ch in _GSM7_EXTENDED for ch in text)


def segment_count(text: str) -> SegmentCount:
    """How many SMS segments ``text`` costs (160/153 GSM-7, 70/67 UCS-2 per segment)."""
    if is_gsm7(text):
        units = sum(2 if ch in _GSM7_EXTENDED else 1 for ch in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = utf16_length(text)
        single, multi, encoding = 70, 67, "UCS-2"
    segments = 1 if units <= single else -(-units // multi)
    return SegmentCount(encoding, units, segments)


def utf16_length(text: str) -> int:
    """Characters as a phone (and Twilio's 1,600 limit) counts them: an emoji is two."""
    return len(text.encode("utf-16-le")) // 2


def _links(text: str) -> List[str]:
    return [url.rstrip(".,;:!?)") for url in _URL.findall(text)]


def fit_to_segments(text: str, max_segments: int, overflow_link: str | None, keep: str = "") -> str:
    """``text`` + ``keep`` if it fits in ``max_segments``; otherwise ``text`` cut at a word, marked, and followed
    by every link the cut removed and by "More: <overflow_link>", then ``keep`` (numbered choices) whole.

    A GSM-7 answer stays GSM-7 (the cut is marked "...", not "…", which would make the whole message UCS-2 and
    cost two and a half times the segments). If even the links do not fit, the overflow link goes first, then
    the links; what is kept is never longer than the budget unless ``keep`` alone is.
    """
    if segment_count(text + keep).segments <= max_segments:
        return text + keep
    encodable = is_gsm7(text + keep + (overflow_link or ""))
    marker = "..." if encodable else "…"
    words = list(_WORD.finditer(text))
    more = f" More: {overflow_link}" if overflow_link else ""
    longest = _longest_fitting_prefix(text, words, max_segments)
    for with_links, with_more in ((True, True), (True, False), (False, True), (False, False)):
        for count in range(longest, 0, -1):
            prefix = text[: words[count - 1].end()]
            dropped = _links(text[words[count - 1].end() :]) if with_links else []
            tail = marker + "".join(f" {link}" for link in dropped) + (more if with_more else "")
            candidate = prefix + tail + keep
            if segment_count(candidate).segments <= max_segments:
                return candidate
    return _hard_cut(text, max_segments, marker, keep)


def _longest_fitting_prefix(text: str, words: Sequence[re.Match[str]], max_segments: int) -> int:
    """How many words fit on their own (binary search: a longer prefix never costs fewer segments); no
    candidate with more words can fit once the marker and links are added."""
    low, high = 0, len(words)
    while low < high:
        middle = (low + high + 1) // 2
        if segment_count(text[: words[middle - 1].end()]).segments <= max_segments:
            low = middle
        else:
            high = middle - 1
    return low


def _hard_cut(text: str, max_segments: int, marker: str, keep: str) -> str:
    for length in range(len(text), -1, -1):
        candidate = text[:length] + marker + keep
        if segment_count(candidate).segments <= max_segments:
            return candidate
    return keep.lstrip("\n") or marker


def split_text(text: str, limit: int) -> List[str]:
    """``text`` in parts of at most ``limit`` characters (UTF-16 units), cut at whitespace where possible,
    numbered " (1/3)" when there is more than one, in order."""
    if utf16_length(text) <= limit:
        return [text]
    reserve = len(" (99/99)")
    parts: List[str] = []
    rest = text
    while rest:
        if utf16_length(rest) <= limit - reserve:
            parts.append(rest)
            break
        cut = _cut_point(rest, limit - reserve)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    total = len(parts)
    return [f"{part} ({number}/{total})" for number, part in enumerate(parts, start=1)]


def _cut_point(text: str, limit: int) -> int:
    """The longest prefix within ``limit`` UTF-16 units, ending at whitespace if there is any."""
    end = 0
    units = 0
    for index, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > limit:
            break
        end = index + 1
    space = max(text.rfind(" ", 0, end), text.rfind("\n", 0, end))
    return space if space > end // 2 else max(end, 1)


def numbered_choices(text: str, buttons: Sequence[Mapping[str, Any]]) -> Tuple[str, Dict[str, str]]:
    """Buttons as numbered lines; returns the text and reply -> payload.

    Buttons that are numbers already (a 1-5 rating) are not numbered again: the customer replies with the
    button's own number."""
    if not buttons:
        return text, {}
    titles = [str(b.get("title") or b.get("payload")) for b in buttons]
    payloads = [str(b.get("payload") or b.get("title")) for b in buttons]
    if all(title.strip().isdigit() for title in titles):
        return text, {title.strip(): payload for title, payload in zip(titles, payloads, strict=True)}
    choices = {str(i): payload for i, payload in enumerate(payloads, start=1)}
    lines = [f"{i}: {title}" for i, title in enumerate(titles, start=1)]
    return f"{text}\n" + "\n".join(lines) + "\nReply with a number.", choices


def choice_for(reply: str, choices: Mapping[str, str]) -> str | None:
    """The payload a numbered reply picks ("2", " 2.", "#2"), or None."""
    match = re.fullmatch(r"\s*#?\s*(\d{1,2})\s*[.)]?\s*", reply)
    return choices.get(match.group(1)) if match else None


def card_as_text(card: Mapping[str, Any]) -> str:
    """A rich card for a channel without cards: title, description, and the action's link."""
    lines = [str(card.get(key)) for key in ("title", "description") if card.get(key)]
    if card.get("url"):
        lines.append(f"{card.get('url_text') or 'Open'}: {card['url']}")
    return "\n".join(lines)


@dataclass(frozen=True)
class SmsPart:
    body: str
    media: Tuple[str, ...] = ()


@dataclass(frozen=True)
class SmsRendering:
    parts: Tuple[SmsPart, ...]
    choices: Dict[str, str] = field(default_factory=dict)  # the numbered choices this message offers


def render_sms(message: Mapping[str, Any], max_segments: int | None, overflow_link: str | None) -> SmsRendering:
    """One bot or agent message as SMS messages.

    ``max_segments`` is the budget of one bot answer; None (an agent's reply) sends the whole text, in as many
    1,600-character parts as it needs."""
    text = str(message.get("text") or "")
    card = (message.get("custom") or {}).get("rich_card") if isinstance(message.get("custom"), dict) else None
    if card and not text:
        text = card_as_text(card)
    keep = ""
    choices: Dict[str, str] = {}
    if message.get("buttons"):
        with_choices, choices = numbered_choices(text, message["buttons"])
        keep = with_choices[len(text) :]
    if max_segments is not None and text:
        text = fit_to_segments(text, max_segments, overflow_link, keep)
    else:
        text += keep
    media = (str(message["image"]),) if message.get("image") else ()
    if not text and not media:
        return SmsRendering((), choices)
    bodies = split_text(text, SMS_MAX_CHARS) if text else [""]
    parts = [SmsPart(body, media if index == 0 else ()) for index, body in enumerate(bodies)]
    return SmsRendering(tuple(parts), choices)


def _chip_text(title: str) -> str:
    return title if len(title) <= RCS_MAX_CHIP_CHARS else title[: RCS_MAX_CHIP_CHARS - 1] + "…"


def _chips(buttons: Sequence[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    return [
        {
            "reply": {
                "text": _chip_text(str(b.get("title"))),
                "postbackData": str(b.get("payload") or b.get("title"))[:RCS_MAX_POSTBACK_CHARS],
            }
        }
        for b in buttons[:RCS_MAX_CHIPS]
    ]


def _rich_card(card: Mapping[str, Any], chips: List[Dict[str, Any]]) -> Dict[str, Any]:
    actions = []
    if card.get("url"):
        actions.append(
            {
                "action": {
                    "text": _chip_text(str(card.get("url_text") or "Open")),
                    "postbackData": "open_url",
                    "openUrlAction": {"url": str(card["url"])},
                }
            }
        )
    content: Dict[str, Any] = {"title": str(card.get("title", "")), "description": str(card.get("description", ""))}
    if actions:
        content["suggestions"] = actions
    if card.get("image"):
        content["media"] = {"height": "MEDIUM", "contentInfo": {"fileUrl": str(card["image"])}}
    return {
        "richCard": {"standaloneCard": {"cardOrientation": "VERTICAL", "cardContent": content}},
        **({"suggestions": chips} if chips else {}),
    }


def render_rcs(message: Mapping[str, Any]) -> List[Dict[str, Any]]:
    """One bot or agent message as RBM ``contentMessage``s, in order: a rich card from ``custom.rich_card``, or
    text (in parts of at most 3,072 characters) with at most 11 suggestion chips on the last part, then the
    image as a file message."""
    chips = _chips(message.get("buttons") or [])
    custom = message.get("custom") if isinstance(message.get("custom"), dict) else {}
    card = (custom or {}).get("rich_card")
    contents: List[Dict[str, Any]] = []
    if card:
        contents.append(_rich_card(card, chips))
    elif message.get("text"):
        parts = split_text(str(message["text"]), RCS_MAX_CHARS)
        contents += [{"text": part} for part in parts]
        if chips:
            contents[-1]["suggestions"] = chips
    if message.get("image"):
        contents.append({"contentInfo": {"fileUrl": str(message["image"])}})
    return contents
