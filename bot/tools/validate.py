"""``make validate``: Rasa's data validation plus the project's own cross-checks.

Rasa's validator warns about every response not used in a story or rule,
including form questions and the responses custom actions send. Those uses are
real, so this tool knows about them: a response counts as used when a story or
rule, a form question (``utter_ask_<slot>``), the action code or a Rasa fix in
``bot/rasa_patches`` names it. Any
other warning fails, and so do these project checks:

- every response the action code names exists in ``domain.yml``;
- every response in ``domain.yml`` is used somewhere;
- the entity patterns cover exactly the domain's entities;
- the intent labels in ``actions/dialogue.yml`` name real intents;
- ``review/suggestions.yml`` (labelled customer messages waiting to be merged into ``data/``), while it
  exists, reads as Rasa NLU data, names only the domain's intents and neither repeats nor contradicts an
  example in ``data/`` (``REVIEW_SUGGESTIONS`` points at another file);
- the e-mail templates (``templates/email``) render for a bot answer, an agent's reply and a notification;
- the responses, actions and intents ``analytics/config.yml`` counts by name exist in ``domain.yml`` (a renamed
  one would silently stop being counted; ``ANALYTICS_CONFIG`` points at another file).
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from pathlib import Path
from typing import Iterable, List, Set

import yaml

from analytics.review import check_suggestions, known_intents
from analytics.settings import domain_problems
from analytics.settings import settings as analytics_settings
from bot.channels.email_compose import template_problems

# Rasa 3.x prints this on every domain load, whatever the domain says.
RASA_ALWAYS_WARNS = "Slot auto-fill has been removed in 3.0"
# Intents the system raises (an agent handing back): nobody types them, so
# they have no NLU examples by design.
NO_EXAMPLES_NEEDED = re.compile(r"The intent '(EXTERNAL_\w+)' is listed in the domain file, but is not found")
UNUSED_UTTERANCE = re.compile(r"The utterance '(utter_\w+)' is not used in any story or rule")
RESPONSE_IN_CODE = re.compile(r"[\"'](utter_[a-z0-9_]+)[\"']")
# Responses Rasa's own default actions send: action_default_fallback (config.yml's core fallback) says this one.
RASA_DEFAULT_RESPONSES = {"utter_default"}
SUGGESTIONS = "review/suggestions.yml"


def is_explained(message: str, used_elsewhere: Set[str]) -> bool:
    """An "utterance not used in any story" warning about a response that is in fact used."""
    match = UNUSED_UTTERANCE.search(message)
    return bool(match) and match.group(1) in used_elsewhere


def code_naming_responses() -> List[Path]:
    """The action code, and the Rasa fixes that make the bot say something (``failed_actions``)."""
    return sorted(Path("actions").rglob("*.py")) + sorted(Path("bot", "rasa_patches").glob("*.py"))


def responses_named_in_code(paths: Iterable[Path]) -> Set[str]:
    names: Set[str] = set()
    for path in paths:
        names.update(RESPONSE_IN_CODE.findall(path.read_text(encoding="utf-8")))
    return names


def form_questions(domain: dict) -> Set[str]:
    slots = {slot for form in (domain.get("forms") or {}).values() for slot in form.get("required_slots", [])}
    return {f"utter_ask_{slot}" for slot in slots}


def project_problems(
    domain: dict,
    code_responses: Set[str],
    pattern_labels: Set[str],
    intent_labels: Set[str],
    used_in_dialogue: Set[str],
) -> List[str]:
    """Pure cross-checks between domain, action code, patterns and dialogue settings."""
    responses = set(domain.get("responses") or {})
    intents = {i if isinstance(i, str) else next(iter(i)) for i in domain.get("intents") or []}
    entities = {e if isinstance(e, str) else next(iter(e)) for e in domain.get("entities") or []}
    problems = [
        f"action code sends '{name}', which is not a response in domain.yml"
        for name in sorted(code_responses - responses)
    ]
    unused = responses - code_responses - form_questions(domain) - used_in_dialogue
    problems += [
        f"response '{name}' is never used (no story, rule, form or action names it)" for name in sorted(unused)
    ]
    problems += [
        f"entity '{name}' has no pattern in lexicon/entity_patterns.yml" for name in sorted(entities - pattern_labels)
    ]
    problems += [
        f"lexicon/entity_patterns.yml has patterns for '{name}', which is not an entity in domain.yml"
        for name in sorted(pattern_labels - entities)
    ]
    problems += [
        f"actions/dialogue.yml labels intent '{name}', which is not in domain.yml"
        for name in sorted(intent_labels - intents)
    ]
    return problems


def suggestion_problems(path: Path, domain_path: Path, data_dir: Path) -> List[str]:
    """What stops the review's suggestions file from being merged as it is (none when there is no file); each
    problem starts with the file and line (review/README.md says how to merge the file)."""
    return check_suggestions(path, known_intents(domain_path), data_dir)


def rasa_warnings(data: List[str], domain_path: str, config_path: str) -> tuple[bool, List[str], Set[str]]:
    """Run Rasa's validator; returns (no errors, warnings, responses used in stories/rules)."""
    from rasa.shared.core.events import ActionExecuted
    from rasa.shared.importers.importer import TrainingDataImporter
    from rasa.validator import Validator

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        importer = TrainingDataImporter.load_from_dict(
            domain_path=domain_path, training_data_paths=data, config_path=config_path
        )
        validator = Validator.from_importer(importer)
        checks = [
            validator.verify_domain_validity(),
            validator.verify_actions_in_stories_rules(),
            validator.verify_forms_in_stories_rules(),
            validator.verify_form_slots(),
            validator.verify_slot_mappings(),
            validator.verify_nlu(True),
            validator.verify_story_structure(True),
        ]
    messages = [
        str(w.message)
        for w in caught
        if issubclass(w.category, UserWarning)
        and RASA_ALWAYS_WARNS not in str(w.message)
        and not NO_EXAMPLES_NEEDED.search(str(w.message))
    ]
    used = {
        event.action_name
        for step in validator.story_graph.story_steps
        for event in step.events
        if isinstance(event, ActionExecuted) and event.action_name
    }
    return all(checks), messages, used


def main() -> int:
    domain = yaml.safe_load(Path("domain.yml").read_text(encoding="utf-8"))
    print("Running Rasa's data validation...", flush=True)
    rasa_ok, rasa_messages, used = rasa_warnings(["data"], "domain.yml", "config.yml")
    code_responses = responses_named_in_code(code_naming_responses()) | RASA_DEFAULT_RESPONSES
    explained = code_responses | form_questions(domain)
    remaining = [
        m
        for m in rasa_messages
        if not (UNUSED_UTTERANCE.search(m) and UNUSED_UTTERANCE.search(m).group(1) in explained)
    ]  # type: ignore[union-attr]
    patterns = yaml.safe_load(Path("lexicon/entity_patterns.yml").read_text(encoding="utf-8")) or {}
    dialogue = yaml.safe_load(Path("actions/dialogue.yml").read_text(encoding="utf-8")) or {}
    problems = remaining + project_problems(
        domain,
        code_responses,
        set(patterns),
        set(dialogue.get("intent_labels") or {}),
        used,
    )
    problems += suggestion_problems(
        Path(os.environ.get("REVIEW_SUGGESTIONS") or SUGGESTIONS), Path("domain.yml"), Path("data")
    )
    problems += domain_problems(analytics_settings(), domain)
    problems += template_problems(Path(os.environ.get("EMAIL_TEMPLATES") or "templates/email").resolve())
    for problem in problems:
        print(f"  - {problem}")
    if not rasa_ok or problems:
        print(f"Validation failed: {len(problems)} problem(s){'' if rasa_ok else ' and Rasa reported errors above'}.")
        return 1
    print("Validation passed: no errors, no warnings.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
