"""Call a (blocking) backend from an action without stalling the event loop.

rasa-sdk runs every action on one asyncio loop; a backend that takes two
seconds must only delay its own conversation, so each call runs in a worker
thread.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Callable, TypeVar

T = TypeVar("T")


async def off_loop(function: Callable[..., T], *args: object) -> T:
    """Run ``function(*args)`` in the default thread pool and await its result."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, functools.partial(function, *args))
