"""Carrier keywords on SMS: what STOP, START, HELP and their synonyms do. Pure.

Twilio's default opt-out handling (twilio.com/docs/messaging/tutorials/advanced-opt-out, and Twilio's support
article on SMS STOP filtering): a whole message of STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE or
OPTOUT (any case) opts the number out and Twilio confirms it; START, YES or UNSTOP opt it back in; HELP or INFO
asks for help. Nothing may be sent to an opted-out number, and once opted out a number gets no HELP answer
either.
"""

from __future__ import annotations

from enum import Enum

OPT_OUT_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"})
OPT_IN_WORDS = frozenset({"start", "unstop", "yes"})
HELP_WORDS = frozenset({"help", "info"})


class KeywordAction(str, Enum):
    NONE = "none"  # an ordinary message: it goes to the bot
    OPT_OUT = "opt_out"  # record the opt-out, send nothing (Twilio confirms)
    OPT_IN = "opt_in"  # record the opt-in, confirm unless the provider does
    HELP = "help"  # answer with the help text unless the provider does
    IGNORE = "ignore"  # the number is opted out: nothing is sent and the bot does not see it


def keyword_of(text: str) -> str | None:
    """The keyword a whole message is, if it is one ("Stop", " STOP! " count; "stop it" does not)."""
    word = text.strip().strip(".!").casefold()
    if word in OPT_OUT_WORDS or word in OPT_IN_WORDS or word in HELP_WORDS:
        return word
    return None


def keyword_action(text: str, opted_out: bool) -> KeywordAction:
    """What a message from a number does, given whether that number is opted out.

    YES opts back in only a number that is opted out: from anyone else it is an answer to the bot's question
    ("Anything else?" - "yes"), and START or UNSTOP from a subscribed number is confirmed again (harmless)."""
    word = keyword_of(text)
    if word in OPT_OUT_WORDS:
        return KeywordAction.OPT_OUT
    if word in OPT_IN_WORDS and (opted_out or word != "yes"):
        return KeywordAction.OPT_IN
    if opted_out:
        return KeywordAction.IGNORE
    if word in HELP_WORDS:
        return KeywordAction.HELP
    return KeywordAction.NONE
