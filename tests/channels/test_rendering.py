"""SMS and RCS rendering against the providers' limits (Twilio: GSM-7 160/153, UCS-2 70/67 characters per
segment, 1,600 per message; RBM: 3,072 characters of text, 11 suggestions of 25 characters)."""

import pytest

from bot.channels.rendering import (
    choice_for,
    fit_to_segments,
    is_gsm7,
    numbered_choices,
    render_rcs,
    render_sms,
    segment_count,
    split_text,
    utf16_length,
)


@pytest.mark.parametrize(
    "text, encoding, segments",
    [
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("€" * 80, "GSM-7", 1),
        ("€" * 81, "GSM-7", 2),
        ("é" * 160, "GSM-7", 1),
        ("😀" * 35, "UCS-2", 1),
        ("ç" * 70, "UCS-2", 1),
        ("ç" * 71, "UCS-2", 2),
    ],
)
def test_segments_follow_the_encoding(text, encoding, segments):
    counted = segment_count(text)
    assert (counted.encoding, counted.segments) == (encoding, segments)


def test_long_answers_are_cut_at_a_word_and_end_with_the_link():
    text = "word " * 200
    fitted = fit_to_segments(text, 3, "https://shop.example/chat")
    assert segment_count(fitted).segments <= 3
    assert fitted.endswith("More: https://shop.example/chat")
    assert fit_to_segments("short", 3, "https://x") == "short"


def test_a_gsm7_answer_stays_gsm7_when_it_is_cut():
    """One character outside GSM 03.38 ("…") would make the whole message UCS-2: 70 characters a segment."""
    fitted = fit_to_segments("Your order is on its way with the courier " * 10, 1, None)
    assert is_gsm7(fitted)
    assert segment_count(fitted).encoding == "GSM-7" and segment_count(fitted).segments == 1
    assert fitted.endswith("...") and len(fitted) > 140


def test_a_ucs2_answer_may_use_the_ellipsis():
    fitted = fit_to_segments("Ihre Bestellung ist unterwegs ✓ " * 10, 1, None)
    assert segment_count(fitted).segments == 1 and fitted.endswith("…")


def test_the_tracking_link_survives_a_one_segment_budget():
    text = (
        "Order 10023 (Trail running shoes, size 42) is on its way with UPS and should arrive on Thursday "
        "3 December. Track it here: https://www.ups.com/track?tracknum=1Z999AA10123456784"
    )
    fitted = fit_to_segments(text, 1, "https://shop.example/chat")
    assert segment_count(fitted).segments == 1
    assert "https://www.ups.com/track?tracknum=1Z999AA10123456784" in fitted
    assert fitted.startswith("Order 10023")


def test_numbered_choices_are_never_cut_away():
    text, choices = numbered_choices("word " * 100, [{"title": "Track an order", "payload": "/order_status"}])
    body = text[len("word " * 100) :]
    fitted = fit_to_segments("word " * 100, 2, None, keep=body)
    assert fitted.endswith("1: Track an order\nReply with a number.") and segment_count(fitted).segments <= 2
    assert choices == {"1": "/order_status"}


def test_buttons_become_numbered_choices_and_payloads_never_leak():
    text, choices = numbered_choices(
        "Which one?",
        [{"title": "Track", "payload": "/order_status"}, {"title": "Refund", "payload": "/refund_request"}],
    )
    assert "1: Track" in text and "2: Refund" in text and "/order_status" not in text
    assert choice_for(" 2. ", choices) == "/refund_request"
    assert choice_for("3", choices) is None and choice_for("2 please", choices) is None


def test_a_rating_question_keeps_its_own_numbers():
    """Buttons 5..1 numbered 1..5 would turn a 5 into a 1."""
    buttons = [{"title": str(n), "payload": str(n)} for n in (5, 4, 3, 2, 1)]
    text, choices = numbered_choices("How happy are you, from 1 to 5?", buttons)
    assert text == "How happy are you, from 1 to 5?"
    assert choice_for("5", choices) == "5" and choice_for("1", choices) == "1"


def test_text_over_twilios_1600_characters_goes_in_numbered_parts_in_order():
    text = " ".join(f"w{n}" for n in range(900))  # about 4,300 characters
    parts = split_text(text, 1600)
    assert len(parts) == 3 and all(utf16_length(p) <= 1600 for p in parts)
    assert [p.rsplit(" (", 1)[1] for p in parts] == ["1/3)", "2/3)", "3/3)"]
    rejoined = " ".join(p.rsplit(" (", 1)[0] for p in parts)
    assert rejoined == text


def test_an_emoji_counts_twice_toward_1600():
    parts = split_text("😀" * 900, 1600)
    assert all(utf16_length(p) <= 1600 for p in parts) and len(parts) == 2


def test_an_agents_long_reply_is_sent_whole_in_parts_and_a_bots_answer_is_budgeted():
    long = "Thanks for waiting. " * 120  # 2,400 characters
    agent = render_sms({"text": long, "agent": "sam"}, None, None)
    assert len(agent.parts) == 2 and all(utf16_length(p.body) <= 1600 for p in agent.parts)
    bot = render_sms({"text": long}, 3, "https://shop.example/chat")
    assert len(bot.parts) == 1 and segment_count(bot.parts[0].body).segments <= 3


def test_render_sms_keeps_media_and_offers_the_choices():
    picture = render_sms({"text": "Here it is", "image": "https://img.example/a.png"}, 3, None)
    assert picture.parts[0].media == ("https://img.example/a.png",) and picture.choices == {}
    question = render_sms({"text": "Next?", "buttons": [{"title": "Yes", "payload": "/affirm"}]}, 3, None)
    assert question.choices == {"1": "/affirm"} and "1: Yes" in question.parts[0].body


def test_a_rich_card_reads_as_text_on_sms():
    card = {
        "custom": {
            "rich_card": {
                "title": "Order 10023 is on its way",
                "description": "Shoes, with UPS.",
                "url": "https://ups.example/t/1Z",
                "url_text": "Track package",
            }
        }
    }
    body = render_sms(card, 3, None).parts[0].body
    assert body == "Order 10023 is on its way\nShoes, with UPS.\nTrack package: https://ups.example/t/1Z"


def test_rcs_text_chips_and_cards_stay_within_rbms_limits():
    buttons = [{"title": f"A rather long option number {n}", "payload": f"/p{n}"} for n in range(14)]
    content = render_rcs({"text": "Pick one", "buttons": buttons})
    assert len(content) == 1
    chips = content[0]["suggestions"]
    assert len(chips) == 11 and all(len(c["reply"]["text"]) <= 25 for c in chips)
    long = render_rcs({"text": "x " * 2000})
    assert len(long) == 2 and all(len(c["text"]) <= 3072 for c in long)
    card = render_rcs({"custom": {"rich_card": {"title": "T", "description": "D", "url": "https://u.example"}}})
    action = card[0]["richCard"]["standaloneCard"]["cardContent"]["suggestions"][0]["action"]
    assert action["openUrlAction"] == {"url": "https://u.example"}
