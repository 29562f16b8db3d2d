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


def test_a_message_of_emoji_alone_reads_as_the_word_the_lexicon_gives_it():
    table = {"👍": "yes", "✔": "yes", "🙏": "thanks"}
    assert normalise_token("👍", table) == "yes"
    # Repeats, skin tones, the emoji presentation selector and spaces between them change nothing.
    assert normalise_token("👍👍🏽", table) == "yes"
    assert normalise_token("✔️", table) == "yes"
    assert normalise_token("🙏 🙏 🙏", table) == "thanks"
    # Two different symbols are not guessed at, and words are left to the word rules.
    assert normalise_token("👍👎", table) == "👍👎"
    assert normalise_token("yes", table) == "yes"


def test_the_lexicons_emoji_keys_match_however_they_were_typed_in_it(tmp_path):
    from bot.nlu.normalize import load_replacements

    lexicon = tmp_path / "spelling.yml"
    lexicon.write_text('replacements:\n  "✔️": "yes"\n  "👍🏽": "yes"\n', encoding="utf-8")
    table = load_replacements(lexicon)
    assert normalise_token("✔", table) == "yes"
    assert normalise_token("👍", table) == "yes"


def test_the_tokenizer_reads_a_thumbs_up_alone_as_yes_and_drops_emoji_beside_words():
    from rasa.shared.nlu.training_data.message import Message

    from bot.nlu.normalizing_tokenizer import NormalizingTokenizer

    tokenizer = NormalizingTokenizer(NormalizingTokenizer.get_default_config())  # lexicon/spelling.yml

    def lemmas(text):
        return [token.lemma for token in tokenizer.tokenize(Message({"text": text}), "text")]

    assert lemmas("👍🏽👍🏽") == ["yes"]
    assert lemmas("🙏") == ["thanks"]
    assert lemmas("ok 👍") == ["ok"]


def test_a_token_of_one_letter_repeated_is_not_squeezed_into_a_word():
    # "kkkkk" is laughter or a key held down; squeezed it would become "kk", which means "ok".
    assert squeeze_elongations("kkkkk") == "kkkkk"
    assert squeeze_elongations("kk") == "kk"
    assert squeeze_elongations("nooooo") == "noo"
