"""Which part of the desk's API each role may use. Pure.

Agents work tickets; supervisors also read the reports and the review; conversation designers review what
customers said and label it, and never see a ticket. A path under ``/desk/api/`` that no area names is refused
to everyone: a new route must be given to its roles here before anyone can reach it.
"""

from __future__ import annotations

from typing import FrozenSet, Tuple

from handoff.desk.auth import Role

EVERYONE: FrozenSet[Role] = frozenset(Role)
AREAS: Tuple[Tuple[str, FrozenSet[Role]], ...] = (
    ("/desk/api/session", EVERYONE),
    ("/desk/api/logout", EVERYONE),
    ("/desk/api/tickets", frozenset({Role.AGENT, Role.SUPERVISOR})),
    ("/desk/api/reports", frozenset({Role.SUPERVISOR})),
    ("/desk/api/review", frozenset({Role.DESIGNER, Role.SUPERVISOR})),
)


def _within(path: str, area: str) -> bool:
    return path == area or path.startswith((area + "/", area + "."))


def permitted(role: Role, path: str) -> bool:
    for area, roles in AREAS:
        if _within(path, area):
            return role in roles
    return False
