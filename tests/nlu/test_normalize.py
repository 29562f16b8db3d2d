from bot.nlu.normalize import fold_unicode, normalise_token, remove_control_characters, squeeze_elongations


def test_stylised_and_fullwidth_letters_read_as_plain_words():
    assert fold_unicode("𝐰𝐡𝐞𝐫𝐞") == "where"
    assert fold_unicode("𝓬𝓪𝓷𝓬𝓮𝓵") == "cancel"
    assert fold_unicode("ｒｅｆｕｎｄ") == "refund"
    assert fold_unicode("REMBOLSÓ") == "rembolso"


def test_elongated_words_are_squeezed():
    assert squeeze_elongations("pleeeeease") == "pleease"
    assert squeeze_elongations("order") == "order"


def test_text_speak_and_common_typos_map_to_words():
    table = {"u": "you", "cancle": "cancel", "2": "to"}
    assert normalise_token("U", table) == "you"
    assert normalise_token("CANCLE", table) == "cancel"
    assert normalise_token("2", table) == "to"
    assert normalise_token("parcel", table) == "parcel"


def test_control_characters_are_dropped_and_whitespace_kept():
    assert remove_control_characters("a\x00b\x1bc\u200bd\te") == "abcd e"
