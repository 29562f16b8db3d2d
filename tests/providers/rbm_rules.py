"""What the RBM API accepts as an AgentMessage / AgentEvent body, from Google's public RBM reference.

Pages cited below (under https://developers.google.com/business-communications/rcs-business-messaging/):
``reference/rest/v1/phones.agentMessages`` (*agentMessages ref*: AgentMessage, AgentContentMessage, Suggestion,
SuggestedReply, SuggestedAction, RichCard, StandaloneCard, CarouselCard, CardContent, Media, ContentInfo,
UploadedRbmFile, LatLng), ``reference/rest/v1/phones.agentEvents`` (*agentEvents ref*) and
``guides/build/messages/send`` (*send guide*: size and expiry limits). Google's JSON parser (proto3 JSON mapping)
refuses unknown field names, so every object here is checked against its documented field list.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterable
from urllib.parse import urlsplit

from tests.providers.twilio_rules import E164, utf16_length

BODY_LIMIT = 250 * 1000  # send guide: the stringified AgentMessage is at most 250 KB (strict: 1 KB = 1,000 bytes)
MAX_EXPIRY = timedelta(days=15)  # send guide: "The maximum value for ttl and expireTime is 15 days after submission"
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
DURATION = re.compile(r"^\d+(\.\d{1,9})?s$")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$")

CONTENT_KINDS = ("text", "fileName", "uploadedRbmFile", "richCard", "contentInfo")
ACTION_KINDS = (
    "dialAction",
    "viewLocationAction",
    "createCalendarEventAction",
    "openUrlAction",
    "shareLocationAction",
    "composeAction",
)
TRAFFIC_TYPES = (
    "MESSAGE_TRAFFIC_TYPE_UNSPECIFIED",
    "AUTHENTICATION",
    "TRANSACTION",
    "PROMOTION",
    "SERVICEREQUEST",
    "ACKNOWLEDGEMENT",
)
OUTPUT_ONLY = ("name", "sendTime", "richMessageClassification", "totalPayloadSizeBytes", "carrier")


class Invalid(Exception):
    """The body breaks a documented rule; the message says which field and why (answered as 400 INVALID_ARGUMENT)."""


def _present(obj: dict, key: str) -> bool:
    return obj.get(key) is not None  # proto3 JSON: null means the field is not set


def _object(value: object, where: str, allowed: Iterable[str]) -> dict:
    # proto3 JSON mapping: a message-typed field takes a JSON object
    if not isinstance(value, dict):
        raise Invalid(f"Invalid value at '{where}': expected a JSON object")
    unknown = sorted(set(value) - set(allowed))
    # proto3 JSON mapping (Google APIs): an unknown field name is refused with "Cannot find field"
    if unknown:
        raise Invalid(f"Invalid JSON payload received. Unknown name \"{unknown[0]}\" at '{where}': Cannot find field.")
    return value


def _one_of(obj: dict, kinds: Iterable[str], where: str) -> str:
    chosen = [kind for kind in kinds if _present(obj, kind)]
    # agentMessages ref: "Union field ... can be only one of the following"; strict: the union must be set (each one
    # checked here carries what the object is for)
    if len(chosen) != 1:
        found = ", ".join(chosen) or "none"
        raise Invalid(f"'{where}' must set exactly one of {', '.join(kinds)} (found: {found})")
    return chosen[0]


def _string(obj: dict, key: str, where: str, limit: int | None = None, required: bool = False) -> str:
    value = obj.get(key)
    if value is None:
        if required:
            raise Invalid(f"'{where}.{key}' is required")
        return ""
    # proto3 JSON mapping: a string field takes a JSON string
    if not isinstance(value, str):
        raise Invalid(f"Invalid value at '{where}.{key}': expected a string")
    # a required string cannot be empty (proto3 does not tell "" from unset; strict reading)
    if required and not value:
        raise Invalid(f"'{where}.{key}' must not be empty")
    # where the reference says "Maximum N characters" it does not say how they are counted; strict: UTF-16 units
    if limit is not None and utf16_length(value) > limit:
        raise Invalid(f"'{where}.{key}' is longer than {limit} characters")
    return value


def _enum(obj: dict, key: str, values: Iterable[str], where: str, required: bool = False) -> str:
    value = _string(obj, key, where, required=required)
    # agentMessages ref: an enum field takes one of the names the reference lists for it
    if value and value not in values:
        raise Invalid(f"Invalid value at '{where}.{key}': {value!r} is not one of {', '.join(values)}")
    return value


def _url(obj: dict, key: str, where: str, required: bool = False, limit: int | None = None) -> None:
    value = _string(obj, key, where, limit=limit, required=required)
    parts = urlsplit(value)
    # agentMessages ref (fileUrl, thumbnailUrl, url, fallbackUrl): "publicly reachable URL" / "valid URI"; strict:
    # absolute, http(s), with a host
    if value and (parts.scheme not in ("http", "https") or not parts.hostname):
        raise Invalid(f"'{where}.{key}' must be an absolute http(s) URL, not {value!r}")


def _timestamp(obj: dict, key: str, where: str, required: bool = False) -> None:
    value = _string(obj, key, where, required=required)
    # agentMessages ref: Timestamp fields use RFC 3339 ("2014-10-02T15:01:23Z", up to nine fractional digits)
    if value and not TIMESTAMP.match(value):
        raise Invalid(f"Invalid value at '{where}.{key}': {value!r} is not an RFC 3339 timestamp")


def parse_timestamp(value: str) -> datetime:
    """An RFC 3339 timestamp (up to nine fractional digits, 'Z' or an offset) as an aware datetime."""
    match = TIMESTAMP.match(value)
    if not match:
        raise ValueError(f"{value!r} is not an RFC 3339 timestamp")
    base = datetime.fromisoformat(value[:19]).replace(tzinfo=timezone.utc)
    fraction = (match.group(1) or ".")[1:]
    offset = match.group(2)
    if offset != "Z":
        sign = 1 if offset[0] == "+" else -1
        base -= sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6]))
    return base + timedelta(microseconds=int((fraction + "000000")[:6]))


def _lat_lng(value: object, where: str) -> None:
    obj = _object(value, where, ("latitude", "longitude"))
    # agentMessages ref LatLng: "latitude ... must be in the range [-90.0, +90.0]", longitude [-180.0, +180.0]
    for key, bound in (("latitude", 90.0), ("longitude", 180.0)):
        number = obj.get(key, 0.0)
        if not isinstance(number, (int, float)) or isinstance(number, bool) or abs(number) > bound:
            raise Invalid(f"Invalid value at '{where}.{key}': must be a number within [-{bound}, {bound}]")


def _dial(value: object, where: str) -> None:
    obj = _object(value, where, ("phoneNumber",))
    # agentMessages ref DialAction: "phoneNumber: Required. The phone number in E.164 format"
    if not E164.match(_string(obj, "phoneNumber", where, required=True)):
        raise Invalid(f"'{where}.phoneNumber' must be an E.164 phone number")


def _view_location(value: object, where: str) -> None:
    obj = _object(value, where, ("latLong", "label", "query"))
    # agentMessages ref ViewLocationAction: a latLong (with an optional label) or, instead, a query
    if not _present(obj, "latLong") and not _string(obj, "query", where):
        raise Invalid(f"'{where}' needs latLong or query")
    if _present(obj, "latLong"):
        _lat_lng(obj["latLong"], f"{where}.latLong")
    _string(obj, "label", where)


def _calendar(value: object, where: str) -> None:
    obj = _object(value, where, ("startTime", "endTime", "title", "description"))
    # agentMessages ref CreateCalendarEventAction: startTime and endTime are Timestamps, title/description strings
    _timestamp(obj, "startTime", where)
    _timestamp(obj, "endTime", where)
    _string(obj, "title", where)
    _string(obj, "description", where)


def _open_url(value: object, where: str) -> None:
    obj = _object(value, where, ("url", "application", "webviewViewMode", "description"))
    # agentMessages ref OpenUrlAction: url (required), application BROWSER|WEBVIEW, webviewViewMode FULL|HALF|TALL
    _url(obj, "url", where, required=True)
    _enum(obj, "application", ("OPEN_URL_APPLICATION_UNSPECIFIED", "BROWSER", "WEBVIEW"), where)
    _enum(obj, "webviewViewMode", ("WEBVIEW_VIEW_MODE_UNSPECIFIED", "FULL", "HALF", "TALL"), where)
    _string(obj, "description", where)


def _share_location(value: object, where: str) -> None:
    _object(value, where, ())  # agentMessages ref ShareLocationAction: an empty object


def _compose(value: object, where: str) -> None:
    obj = _object(value, where, ("composeTextMessage", "composeRecordingMessage"))
    # agentMessages ref ComposeAction: union composeTextMessage {phoneNumber, text} | composeRecordingMessage
    # {phoneNumber, type}; the phone number is E.164
    kind = _one_of(obj, ("composeTextMessage", "composeRecordingMessage"), where)
    fields = ("phoneNumber", "text") if kind == "composeTextMessage" else ("phoneNumber", "type")
    inner = _object(obj[kind], f"{where}.{kind}", fields)
    if kind == "composeRecordingMessage":
        _enum(inner, "type", ("ACTION_TYPE_UNSPECIFIED", "ACTION_TYPE_AUDIO", "ACTION_TYPE_VIDEO"), f"{where}.{kind}")
    if not E164.match(_string(inner, "phoneNumber", f"{where}.{kind}", required=True)):
        raise Invalid(f"'{where}.{kind}.phoneNumber' must be an E.164 phone number")


ACTIONS: dict[str, Callable[[object, str], None]] = {
    "dialAction": _dial,
    "viewLocationAction": _view_location,
    "createCalendarEventAction": _calendar,
    "openUrlAction": _open_url,
    "shareLocationAction": _share_location,
    "composeAction": _compose,
}


def _suggestion(value: object, where: str) -> None:
    obj = _object(value, where, ("reply", "action"))
    # agentMessages ref Suggestion: union "option" -- a reply or an action
    kind = _one_of(obj, ("reply", "action"), where)
    inner_where = f"{where}.{kind}"
    fields = ("text", "postbackData") if kind == "reply" else ("text", "postbackData", "fallbackUrl", *ACTION_KINDS)
    inner = _object(obj[kind], inner_where, fields)
    # agentMessages ref SuggestedReply/SuggestedAction: "text ... Maximum 25 characters"
    _string(inner, "text", inner_where, limit=25, required=True)
    # agentMessages ref SuggestedReply/SuggestedAction: postbackData "Maximum 2048 characters". The reference calls
    # it a base64-encoded payload, yet Google's own samples send plain strings: not checked as base64.
    _string(inner, "postbackData", inner_where, limit=2048)
    if kind == "action":
        # agentMessages ref SuggestedAction: fallbackUrl "Must be a valid URI as defined in RFC 3986. Maximum 2048"
        _url(inner, "fallbackUrl", inner_where, limit=2048)
        action = _one_of(inner, ACTION_KINDS, inner_where)
        ACTIONS[action](inner[action], f"{inner_where}.{action}")


def _suggestions(obj: dict, where: str, limit: int) -> None:
    items = obj.get("suggestions")
    if items is None:
        return
    if not isinstance(items, list):
        raise Invalid(f"Invalid value at '{where}.suggestions': expected a list")
    if len(items) > limit:
        raise Invalid(f"'{where}.suggestions' has {len(items)} suggestions; at most {limit} are allowed")
    for index, item in enumerate(items):
        _suggestion(item, f"{where}.suggestions[{index}]")


def _content_info(value: object, where: str) -> None:
    obj = _object(value, where, ("fileUrl", "thumbnailUrl", "forceRefresh"))
    # agentMessages ref ContentInfo: fileUrl "Publicly reachable URL of the file"; thumbnailUrl optional URL
    _url(obj, "fileUrl", where, required=True)
    _url(obj, "thumbnailUrl", where)
    if "forceRefresh" in obj and not isinstance(obj["forceRefresh"], bool):
        raise Invalid(f"Invalid value at '{where}.forceRefresh': expected a boolean")


def _uploaded_file(value: object, where: str) -> None:
    obj = _object(value, where, ("fileName", "thumbnailName"))
    # agentMessages ref UploadedRbmFile: fileName "The name of the file, returned by the platform when uploaded"
    _string(obj, "fileName", where, required=True)
    _string(obj, "thumbnailName", where)


def _media(value: object, where: str, small_carousel: bool) -> None:
    obj = _object(value, where, ("height", "fileName", "uploadedRbmFile", "contentInfo"))
    # agentMessages ref Media.Height: HEIGHT_UNSPECIFIED, SHORT, MEDIUM, TALL
    height = _enum(obj, "height", ("HEIGHT_UNSPECIFIED", "SHORT", "MEDIUM", "TALL"), where)
    # agentMessages ref Media.Height TALL: "Not available for rich card carousels when the card width is set to small"
    if height == "TALL" and small_carousel:
        raise Invalid(f"'{where}.height' TALL is not available in a carousel of SMALL cards")
    # agentMessages ref Media: union "content" -- fileName, uploadedRbmFile or contentInfo
    kind = _one_of(obj, ("fileName", "uploadedRbmFile", "contentInfo"), where)
    if kind == "contentInfo":
        _content_info(obj[kind], f"{where}.contentInfo")
    elif kind == "uploadedRbmFile":
        _uploaded_file(obj[kind], f"{where}.uploadedRbmFile")


def _card_content(value: object, where: str, small_carousel: bool = False) -> None:
    obj = _object(value, where, ("title", "description", "media", "suggestions"))
    # agentMessages ref CardContent: "title ... Maximum 200 characters", "description ... Maximum 2000 characters"
    title = _string(obj, "title", where, limit=200)
    description = _string(obj, "description", where, limit=2000)
    # CardContent (and Dialogflow's RbmCardContent mirror of it): "At least one of the title, description or media
    # must be set"
    if not title and not description and not _present(obj, "media"):
        raise Invalid(f"'{where}' needs at least one of title, description or media")
    if _present(obj, "media"):
        _media(obj["media"], f"{where}.media", small_carousel)
    # agentMessages ref CardContent: "suggestions ... Maximum 4 suggestions"
    _suggestions(obj, where, limit=4)


def _standalone(value: object, where: str) -> None:
    obj = _object(value, where, ("cardOrientation", "thumbnailImageAlignment", "cardContent"))
    # agentMessages ref StandaloneCard: cardOrientation (required) HORIZONTAL or VERTICAL
    orientation = _enum(obj, "cardOrientation", ("HORIZONTAL", "VERTICAL"), where, required=True)
    # agentMessages ref StandaloneCard: thumbnailImageAlignment LEFT|RIGHT, required for horizontal layouts
    alignment = _enum(obj, "thumbnailImageAlignment", ("LEFT", "RIGHT"), where)
    if orientation == "HORIZONTAL" and not alignment:
        raise Invalid(f"'{where}.thumbnailImageAlignment' is required when cardOrientation is HORIZONTAL")
    if not _present(obj, "cardContent"):
        raise Invalid(f"'{where}.cardContent' is required")
    _card_content(obj["cardContent"], f"{where}.cardContent")


def _carousel(value: object, where: str) -> None:
    obj = _object(value, where, ("cardWidth", "cardContents"))
    # agentMessages ref CarouselCard: cardWidth (required) SMALL or MEDIUM
    width = _enum(obj, "cardWidth", ("SMALL", "MEDIUM"), where, required=True)
    cards = obj.get("cardContents")
    # agentMessages ref CarouselCard: "A carousel can have a minimum of 2 cards and a maximum 10 cards"
    if not isinstance(cards, list) or not 2 <= len(cards) <= 10:
        raise Invalid(f"'{where}.cardContents' must hold 2 to 10 cards")
    for index, card in enumerate(cards):
        _card_content(card, f"{where}.cardContents[{index}]", small_carousel=width == "SMALL")


def _rich_card(value: object, where: str) -> None:
    obj = _object(value, where, ("standaloneCard", "carouselCard"))
    # agentMessages ref RichCard: union "card" -- standaloneCard or carouselCard
    kind = _one_of(obj, ("standaloneCard", "carouselCard"), where)
    (_standalone if kind == "standaloneCard" else _carousel)(obj[kind], f"{where}.{kind}")


def check_content_message(value: object, where: str = "contentMessage") -> None:
    """Raise :class:`Invalid` unless ``value`` is an AgentContentMessage the RBM API accepts."""
    obj = _object(value, where, (*CONTENT_KINDS, "suggestions"))
    # agentMessages ref AgentContentMessage: union "content" -- exactly one of text, fileName, uploadedRbmFile,
    # richCard, contentInfo
    kind = _one_of(obj, CONTENT_KINDS, where)
    if kind == "text":
        # agentMessages ref AgentContentMessage: "text: Text encoded in UTF-8. Maximum 3072 characters."
        _string(obj, "text", where, limit=3072, required=True)
    elif kind == "fileName":
        _string(obj, "fileName", where, required=True)
    elif kind == "uploadedRbmFile":
        _uploaded_file(obj[kind], f"{where}.uploadedRbmFile")
    elif kind == "richCard":
        _rich_card(obj[kind], f"{where}.richCard")
    else:
        _content_info(obj[kind], f"{where}.contentInfo")
    # agentMessages ref AgentContentMessage: "suggestions ... Maximum 11 suggestions"
    _suggestions(obj, where, limit=11)


def _expiry(obj: dict, now: datetime) -> None:
    # agentMessages ref AgentMessage: union "expiration" -- expireTime or ttl, not both
    if _present(obj, "expireTime") and _present(obj, "ttl"):
        raise Invalid("expireTime and ttl are mutually exclusive")
    if _present(obj, "ttl"):
        ttl = _string(obj, "ttl", "agentMessage")
        # agentMessages ref ttl: Duration "in seconds with up to nine fractional digits, ending with 's'"
        if not DURATION.match(ttl):
            raise Invalid(f"Invalid value at 'agentMessage.ttl': {ttl!r} is not a duration like \"3.5s\"")
        if timedelta(seconds=float(ttl[:-1])) > MAX_EXPIRY:
            raise Invalid("'agentMessage.ttl' is more than 15 days")
    if _present(obj, "expireTime"):
        _timestamp(obj, "expireTime", "agentMessage")
        when = parse_timestamp(obj["expireTime"])
        # send guide: expireTime at most 15 days after submission; strict (docs silent): not already in the past
        if when > now + MAX_EXPIRY or when <= now:
            raise Invalid("'agentMessage.expireTime' must be in the future and at most 15 days away")


def check_agent_message(value: object, now: datetime | None = None) -> None:
    """Raise :class:`Invalid` unless ``value`` is an AgentMessage body phones.agentMessages.create accepts."""
    if not isinstance(value, dict):
        raise Invalid("Invalid JSON payload received. Expected an AgentMessage object.")
    # agentMessages ref: name and sendTime "This field is set by the RCS for Business platform. Do not include it when
    # creating an agent message" (and the other output-only fields); strict: refused
    for key in OUTPUT_ONLY:
        if key in value:
            raise Invalid(f"'agentMessage.{key}' is set by the platform; do not include it when creating a message")
    obj = _object(value, "agentMessage", ("contentMessage", "messageTrafficType", "expireTime", "ttl"))
    if not _present(obj, "contentMessage"):
        raise Invalid("'agentMessage.contentMessage' is required")
    # agentMessages ref MessageTrafficType enum
    _enum(obj, "messageTrafficType", TRAFFIC_TYPES, "agentMessage")
    _expiry(obj, now or datetime.now(timezone.utc))
    check_content_message(obj["contentMessage"])


def check_agent_event(value: object) -> None:
    """Raise :class:`Invalid` unless ``value`` is an AgentEvent body phones.agentEvents.create accepts."""
    if not isinstance(value, dict):
        raise Invalid("Invalid JSON payload received. Expected an AgentEvent object.")
    for key in ("name", "sendTime"):
        # agentEvents ref: name/sendTime are set by the platform ("Do not include it when creating an agent event")
        if key in value:
            raise Invalid(f"'agentEvent.{key}' is set by the platform; do not include it when creating an event")
    obj = _object(value, "agentEvent", ("eventType", "messageId"))
    # agentEvents ref AgentEvent.EventType: IS_TYPING or READ (TYPE_UNSPECIFIED is not an event)
    event_type = _enum(obj, "eventType", ("IS_TYPING", "READ"), "agentEvent", required=True)
    # agentEvents ref: messageId "The ID of the user message that the agent event pertains to ... type READ"
    if event_type == "READ":
        _string(obj, "messageId", "agentEvent", required=True)
