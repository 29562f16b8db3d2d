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
    """Collapse letters repeated three or more times to two: "pleeeease" -> "pleease"."""
    return _ELONGATION.sub(r"\1\1", word)


def remove_control_characters(text: str) -> str:
    """Drop control/format characters but keep ordinary whitespace as spaces."""
    return "".join(
        " " if ch in "\t\n\r" else ch
        for ch in text
        if ch in "\t\n\r" or unicodedata.category(ch) not in _CONTROL_CATEGORIES
    )


def normalise_token(token: str, replacements: Mapping[str, str]) -> str:
    """The form a single token is featurised as."""
    word = squeeze_elongations(fold_unicode(token))
    return replacements.get(word, word)


def load_replacements(path: Path) -> dict[str, str]:
    """Read ``lexicon/spelling.yml``; keys and values are folded like tokens."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    table = raw.get("replacements") or {}
    if not isinstance(table, dict):
        raise ValueError(f"{path}: 'replacements' must map words to words")
    return {fold_unicode(str(key)): fold_unicode(str(value)) for key, value in table.items()}
