"""Pure text normalisation for intent features.

Customers write "𝓬𝓪𝓷𝓬𝓮𝓵", "CANCLE", "cancelllll" and "cancel" for the same
word. The classifier should see one word. These functions never change the
message text itself (entity offsets depend on it); they produce the form a
token is featurised as.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Mapping

import yaml

_ELONGATION = re.compile(r"(\w)\1{2,}")
_WORD_CHARACTER = re.compile(r"\w")
_REPEATED_SYMBOL = re.compile(r"(.)\1+")
# Skin tones (U+1F3FB-U+1F3FF), the emoji presentation selector and the zero-width joiner change how an
# emoji looks, not what it says: "👍🏽" and "✔️" read as "👍" and "✔".
_EMOJI_MODIFIERS = re.compile("[\U0001f3fb-\U0001f3ff\ufe0e\ufe0f\u200d\\s]")
_CONTROL_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}


def fold_unicode(text: str) -> str:
    """Compatibility-fold stylised letters, drop accents, lower-case.

    NFKC maps mathematical alphanumerics (𝐰𝐡𝐞𝐫𝐞) and full-width forms (ｒｅｆｕｎｄ)
    to plain letters; NFKD then separates accents so "rembolsó" reads "rembolso".
    """
    folded = unicodedata.normalize("NFKC", text)
    decomposed = unicodedata.normalize("NFKD", folded)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold()


def squeeze_elongations(word: str) -> str:
    """Collapse letters repeated three or more times to two: "pleeeease" -> "pleease".

    A token of one letter alone ("kkkkk", "zzzz") stretches no word: squeezed, "kkkkk" (laughter) would read
    as "kk" (ok), so it is left as typed.
    """
    if len(set(word)) == 1 and len(word) > 2:
        return word
    return _ELONGATION.sub(r"\1\1", word)


def remove_control_characters(text: str) -> str:
    """Drop control/format characters but keep ordinary whitespace as spaces."""
    return "".join(
        " " if ch in "\t\n\r" else ch
        for ch in text
        if ch in "\t\n\r" or unicodedata.category(ch) not in _CONTROL_CATEGORIES
    )


def fold_symbols(token: str) -> str:
    """A token of symbols alone (a message that is only "👍👍🏽" or "✅ ✅") as one symbol run without repeats.

    Rasa's tokenizer drops emoji beside words, so only a message made of symbols reaches here as symbols; its
    meaning then comes from the lexicon ("👍" -> "yes"), however many times and in whatever skin tone it was sent.
    """
    return _REPEATED_SYMBOL.sub(r"\1", _EMOJI_MODIFIERS.sub("", token))


def normalise_token(token: str, replacements: Mapping[str, str]) -> str:
    """The form a single token is featurised as."""
    word = _symbols_folded(squeeze_elongations(fold_unicode(token)))
    return replacements.get(word, word)


def _symbols_folded(word: str) -> str:
    """A word as it is; a run of symbols alone through ``fold_symbols`` (kept if nothing would be left)."""
    return word if _WORD_CHARACTER.search(word) else fold_symbols(word) or word


def load_replacements(path: Path) -> dict[str, str]:
    """Read ``lexicon/spelling.yml``; keys and values are folded like tokens."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    table = raw.get("replacements") or {}
    if not isinstance(table, dict):
        raise ValueError(f"{path}: 'replacements' must map words to words")
    return {_lexicon_key(str(key)): fold_unicode(str(value)) for key, value in table.items()}


def _lexicon_key(word: str) -> str:
    """A lexicon entry folded as the tokens it must match are: words by Unicode, symbol runs as symbols."""
    return _symbols_folded(fold_unicode(word))
