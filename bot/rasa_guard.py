"""What each patch replaces, for which Rasa, and the check that refuses to start when that has changed.

Every patch module declares a ``PATCH``: the Rasa versions it was written for and, for each function it
replaces, a fingerprint of that function's source in the Rasa it was written against. Before any patch is
applied, the installed Rasa's version and the source of every replaced function are checked against those
declarations; a difference stops the Rasa process with the patch's name and what changed, because a patch
over code it was not written for either does nothing (a renamed target) or silently overrides new behaviour.

The project's subclasses of Rasa classes (the tracker store, the event broker, the rule policy) declare the
same for the Rasa methods they override, as ``kind="subclass"``: an override replaces whatever a newer Rasa
puts there just as silently. They are checked with the patches; going without one means naming Rasa's own
class in the endpoints or config file.

``RASA_PATCHES_DISABLED=name,name`` (or ``all``) starts without those patches, unchecked; a patch that
requires a disabled one is left out with it. docs/rasa-upgrade.md is the checklist for a new Rasa:
``python -m bot.rasa_guard`` prints what changed.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Mapping, Sequence, Tuple

from packaging.specifiers import SpecifierSet
from packaging.version import Version

RASA_3_6 = ">=3.6.21,<3.7"  # what every patch here was written and measured on
ABSENT = "absent"  # the patch adds what Rasa does not define there
UNREADABLE = "unreadable"
DISABLED_VARIABLE = "RASA_PATCHES_DISABLED"


@dataclass(frozen=True)
class Patch:
    name: str
    rasa_versions: str
    replaces: Mapping[str, str]  # "module:Class.attribute" -> fingerprint of Rasa's source there
    requires: Tuple[str, ...] = ()  # patches it builds on (it wraps what they put in place)
    apply: Callable[[], None] = field(default=lambda: None, compare=False)
    kind: str = "patch"  # or "subclass": a class named in the endpoints or config file, overriding ``replaces``


# Rasa's own objects at every replaced target, captured before any patch went in (for tests comparing a
# patch with what it replaces), and which targets each applied patch actually changed.
ORIGINALS: Dict[str, Any] = {}
CHANGED: Dict[str, List[str]] = {}


def original(target: str) -> Any:
    """Rasa's object at ``target`` before the patches (what is there now when no patch replaced it)."""
    return ORIGINALS[target] if target in ORIGINALS else resolve(target)


def apply_in_order(patches: Sequence[Patch]) -> None:
    """Apply each patch, noting Rasa's originals first and then what the patch changed."""
    for patch in patches:
        for target in patch.replaces:
            ORIGINALS.setdefault(target, resolve(target))
    for patch in patches:
        before = {target: resolve(target) for target in patch.replaces}
        patch.apply()
        CHANGED[patch.name] = [target for target in patch.replaces if resolve(target) is not before[target]]


class PatchMismatch(RuntimeError):
    """The installed Rasa is not the one a patch was written for."""


def resolve(target: str) -> Any:
    """The object at ``module:Qual.name`` as defined there (a class's own attribute, not an inherited one);
    ``ABSENT`` when it is not defined."""
    module_name, _, qualname = target.partition(":")
    owner: Any = importlib.import_module(module_name)
    *path, attribute = qualname.split(".")
    for part in path:
        owner = getattr(owner, part)
    namespace = vars(owner)
    if attribute not in namespace:
        return ABSENT
    found = namespace[attribute]
    if isinstance(found, property):
        found = found.fget
    return getattr(found, "__func__", found)


def fingerprint(target: str) -> str:
    found = resolve(target)
    if found is ABSENT:
        return ABSENT
    try:
        source = inspect.getsource(found)
    except (OSError, TypeError):  # replaced by code with no source file: not what the patch was written against
        return UNREADABLE
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]


def installed_rasa_version() -> str:
    import rasa

    return str(rasa.__version__)


def problems(patch: Patch, rasa_version: str) -> List[str]:
    """What differs between the Rasa ``patch`` was written for and this one; empty when nothing does."""
    found = []
    if Version(rasa_version) not in SpecifierSet(patch.rasa_versions):
        found.append(f"written for Rasa {patch.rasa_versions}, this is {rasa_version}")
    for target, expected in patch.replaces.items():
        try:
            actual = fingerprint(target)
        except (ImportError, AttributeError) as error:
            found.append(f"{target} cannot be found ({type(error).__name__}: {error})")
            continue
        if actual != expected:
            what = "is no longer defined" if actual == ABSENT else "is now defined" if expected == ABSENT else (
                f"has changed (source fingerprint {actual}, written against {expected})")  # fmt: skip
            found.append(f"{target} {what}")
    return found


def disabled_from_env(environ: Mapping[str, str] = os.environ) -> set:
    raw = environ.get(DISABLED_VARIABLE, "")
    return {name.strip() for name in raw.split(",") if name.strip()}


def enabled(patches: Sequence[Patch], disabled: Iterable[str]) -> List[Patch]:
    """The patches to apply, in order: not disabled, and not building on one that is."""
    off = set(disabled)
    if "all" in off:
        return []
    kept: List[Patch] = []
    for patch in patches:
        if patch.name in off or any(required in off for required in patch.requires):
            off.add(patch.name)
            continue
        kept.append(patch)
    return kept


def check(patches: Sequence[Patch], rasa_version: str) -> None:
    """Raise ``PatchMismatch`` naming every patch whose Rasa has changed. Call before applying any patch:
    the fingerprints are of Rasa's own code."""
    found = [(patch, problems(patch, rasa_version)) for patch in patches]
    changed = [(patch, what) for patch, what in found if what]
    if changed:
        lines = [f"  {patch.name}: {'; '.join(what)}" for patch, what in changed]
        advice = []
        patches_off = [patch.name for patch, _ in changed if patch.kind == "patch"]
        if patches_off:
            advice.append(f"start without the patch: {DISABLED_VARIABLE}={','.join(patches_off)}")
        if len(patches_off) < len(changed):
            advice.append("name Rasa's own class instead of the subclass in endpoints.yml or config.yml")
        raise PatchMismatch(
            "Rasa is not the version these patches were written for, so the server will not start:\n"
            + "\n".join(lines)
            + f"\nRe-verify each (docs/rasa-upgrade.md), or {'; or '.join(advice)}"
        )
    _verified.update((patch.name, True) for patch in patches)


_verified: Dict[str, bool] = {}  # names ``check`` has passed in this process


def require_unchanged(subclass: Patch) -> None:
    """Raise ``PatchMismatch`` unless the Rasa methods ``subclass`` overrides are the ones it was written for.
    Each subclass calls this when Rasa constructs it, whatever started Rasa (``rasa train``, plain ``rasa run``,
    ``bot.rasa_cli``): Rasa loads it from the endpoints or config file on every path. Checked once per process
    (``apply_all`` has already checked it where the patches are applied)."""
    if not _verified.get(subclass.name):
        check([subclass], installed_rasa_version())


def main(argv: List[str] | None = None) -> int:
    """Print each patch's targets and whether the installed Rasa still matches (exit 1 if not)."""
    from bot.rasa_patches import PATCHES, SUBCLASSES

    version, status = installed_rasa_version(), 0
    print(f"Rasa {version}")
    for patch in (*PATCHES, *SUBCLASSES):
        found = problems(patch, version)
        status |= bool(found)
        print(f"{patch.name}: {'ok' if not found else '; '.join(found)}")
        for target in patch.replaces:
            print(f"    {target} {fingerprint(target)}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
