"""rasa-sdk's plugin seam: the action server imports this package (by this name) and lets it extend its app.

The project's extension (``actions/server.py``) puts the action server behind a credential and keeps its
errors from echoing what it was sent.
"""

from __future__ import annotations

from typing import Any


def init_hooks(manager: Any) -> None:
    from actions import server

    manager.register(server)
