"""Build the project's spaCy pipeline: a blank English tokenizer plus an entity
ruler whose patterns come from ``lexicon/entity_patterns.yml``.

Nothing is downloaded: the pipeline is made from spaCy's built-in English
tokenizer rules and the designers' patterns, then saved to a folder that
Rasa's ``SpacyNLP`` loads by path (see ``config.yml``).

Run ``python -m bot.nlu.spacy_pipeline`` (``make spacy`` does it for you).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Dict, List

import yaml

DEFAULT_PATTERNS = Path("lexicon/entity_patterns.yml")
DEFAULT_OUTPUT = Path("build/spacy/support_en")


class PatternFileError(ValueError):
    """The entity pattern file cannot be turned into a spaCy entity ruler."""


def load_patterns(path: Path) -> List[Dict[str, Any]]:
    """Read the designers' YAML into spaCy ``EntityRuler`` pattern dicts.

    Raises ``PatternFileError`` naming the entity and pattern at fault.
    """
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise PatternFileError(f"{path}: cannot read patterns: {error}") from error
    if not isinstance(raw, dict) or not raw:
        raise PatternFileError(f"{path}: expected a mapping of entity name to patterns")

    patterns = []
    for label, entity_patterns in raw.items():
        if not isinstance(entity_patterns, list) or not entity_patterns:
            raise PatternFileError(f"{path}: '{label}' needs a list of patterns")
        for index, pattern in enumerate(entity_patterns, start=1):
            if not isinstance(pattern, list) or not all(isinstance(t, dict) for t in pattern):
                raise PatternFileError(
                    f"{path}: pattern {index} of '{label}' must be a list of token "
                    f"conditions, e.g. [{{LOWER: 'hello'}}]"
                )
            patterns.append({"label": str(label), "pattern": pattern, "id": f"{label}#{index}"})
    return patterns


def build_pipeline(patterns: List[Dict[str, Any]]):  # -> spacy.language.Language
    """A blank English pipeline with a validating entity ruler."""
    import spacy
    from spacy.errors import MatchPatternError

    nlp = spacy.blank("en")
    nlp.meta["name"] = "support_en"
    nlp.meta["description"] = "Blank English tokenizer + entity ruler built from lexicon/"
    ruler = nlp.add_pipe("entity_ruler", config={"validate": True})
    try:
        ruler.add_patterns(patterns)
    except MatchPatternError as error:
        raise PatternFileError(f"invalid entity pattern: {error}") from error
    return nlp


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patterns", type=Path, default=DEFAULT_PATTERNS)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    try:
        patterns = load_patterns(args.patterns)
        nlp = build_pipeline(patterns)
    except PatternFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    args.output.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(args.output)
    labels = sorted({p["label"] for p in patterns})
    print(f"spaCy pipeline: {len(patterns)} patterns for {', '.join(labels)} -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
