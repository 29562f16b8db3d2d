import pytest

from bot.channels.rendering import (
    carrier_keyword,
    choice_for,
    fit_to_segments,
    numbered_choices,
    render_for_sms,
    segment_count,
)


@pytest.mark.parametrize(
    "text, encoding, segments",
    [("a" * 160, "GSM-7", 1), ("a" * 161, "GSM-7", 2), ("a" * 306, "GSM-7", 2), ("a" * 307, "GSM-7", 3),
     ("€" * 80, "GSM-7", 1), ("€" * 81, "GSM-7", 2), ("é" * 160, "GSM-7", 1),
     ("😀" * 35, "UCS-2", 1), ("ç" * 70, "UCS-2", 1), ("ç" * 71, "UCS-2", 2)],
)  # fmt: skip
def test_segments_follow_the_encoding(text, encoding, segments):
    counted = segment_count(text)
    assert (counted.encoding, counted.segments) == (encoding, segments)


def test_long_answers_are_cut_at_a_word_and_end_with_the_link():
    text = "word " * 200
    fitted = fit_to_segments(text, 3, "https://shop.example/chat")
    assert segment_count(fitted).segments <= 3
    assert fitted.endswith("More: https://shop.example/chat")
    assert fit_to_segments("short", 3, "https://x") == "short"


def test_buttons_become_numbered_choices_and_payloads_never_leak():
    text, choices = numbered_choices("Which one?", [{"title": "Track", "payload": "/order_status"},
                                                    {"title": "Refund", "payload": "/refund_request"}])  # fmt: skip
    assert "1: Track" in text and "2: Refund" in text and "/order_status" not in text
    assert choice_for(" 2. ", choices) == "/refund_request"
    assert choice_for("3", choices) is None and choice_for("2 please", choices) is None


def test_carrier_keywords():
    assert [carrier_keyword(w) for w in ("STOP", "Unsubscribe", "start", "HELP", "stop it")] == [
        "stop", "stop", "start", "help", None]  # fmt: skip


def test_render_for_sms_keeps_media_and_the_last_choices():
    rendered, choices = render_for_sms(
        [{"text": "Here it is", "image": "https://img.example/a.png"},
         {"text": "Next?", "buttons": [{"title": "Yes", "payload": "/affirm"}]}], 3, None)  # fmt: skip
    assert rendered[0] == ("Here it is", ["https://img.example/a.png"])
    assert choices == {"1": "/affirm"}
