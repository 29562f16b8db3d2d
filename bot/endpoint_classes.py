"""Every class the endpoints file names by module path must import before Rasa starts.

Rasa loads a tracker store, lock store or event broker given as ``type: module.Class`` and, when the import
raises ``ImportError`` or ``AttributeError``, logs a warning and carries on with an in-memory tracker store or
no event broker at all: a typo, or a missing dependency, would silently lose every conversation at the next
restart. The Rasa process started through ``bot/rasa_cli.py`` checks first and refuses to start instead.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Dict, List

import yaml

SECTIONS = ("tracker_store", "lock_store", "event_broker")


def named_classes(endpoints: Dict[str, Any]) -> Dict[str, str]:
    """The sections of an endpoints file whose ``type`` is a module path, with that path."""
    found = {}
    for section in SECTIONS:
        kind = (endpoints.get(section) or {}).get("type")
        if isinstance(kind, str) and "." in kind:
            found[section] = kind
    return found


STOCK_TYPES = {"tracker_store": {"sql"}, "event_broker": {"pika"}}  # where the project has its own class


def read_endpoints(endpoints_file: Path) -> Dict[str, Any]:
    return yaml.safe_load(endpoints_file.read_text(encoding="utf-8")) or {}


def stock_types(endpoints: Dict[str, Any]) -> Dict[str, str]:
    """Sections naming Rasa's own store or broker where the project's subclass fixes measured defects."""
    found = {}
    for section, kinds in STOCK_TYPES.items():
        kind = (endpoints.get(section) or {}).get("type")
        if isinstance(kind, str) and kind.lower() in kinds:
            found[section] = kind
    return found


def import_problems(endpoints: Dict[str, Any]) -> List[str]:
    """What stops a class named in an endpoints file from loading; empty when every one loads."""
    problems = []
    for section, path in named_classes(endpoints).items():
        module_name, _, class_name = path.rpartition(".")
        try:
            module = importlib.import_module(module_name)
        except Exception as error:  # any failure here is one Rasa would hide
            problems.append(f"{section}: {path} cannot be imported ({type(error).__name__}: {error})")
            continue
        if not isinstance(getattr(module, class_name, None), type):
            problems.append(f"{section}: {module_name} has no class {class_name}")
    return problems
