"""Carrier keywords as Twilio's default opt-out handling defines them (twilio.com/docs/messaging/tutorials/
advanced-opt-out; Twilio's article on SMS STOP filtering): opt-out STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT,
REVOKE, OPTOUT; opt-in START, YES, UNSTOP; help HELP, INFO; whole message, any case."""

import pytest

from bot.channels.keywords import KeywordAction, keyword_action


@pytest.mark.parametrize(
    "word", ["STOP", "stopall", "Unsubscribe", "CANCEL", "end", "QUIT", "REVOKE", "optout", " Stop! "]
)
def test_every_opt_out_word_opts_out(word):
    assert keyword_action(word, opted_out=False) is KeywordAction.OPT_OUT
    assert keyword_action(word, opted_out=True) is KeywordAction.OPT_OUT


@pytest.mark.parametrize("word", ["START", "yes", "Unstop"])
def test_every_opt_in_word_opts_an_opted_out_number_back_in(word):
    assert keyword_action(word, opted_out=True) is KeywordAction.OPT_IN


def test_yes_from_a_subscribed_number_is_an_answer_to_the_bot():
    assert keyword_action("yes", opted_out=False) is KeywordAction.NONE
    assert keyword_action("START", opted_out=False) is KeywordAction.OPT_IN


def test_help_is_answered_only_while_subscribed():
    assert keyword_action("HELP", opted_out=False) is KeywordAction.HELP
    assert keyword_action("info", opted_out=False) is KeywordAction.HELP
    assert keyword_action("HELP", opted_out=True) is KeywordAction.IGNORE


def test_sentences_are_not_keywords():
    for text in ("stop it", "please cancel my order", "help me with my order", "yes please"):
        assert keyword_action(text, opted_out=False) is KeywordAction.NONE
    assert keyword_action("where is my order", opted_out=True) is KeywordAction.IGNORE
