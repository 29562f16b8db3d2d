"""Call a (blocking) backend from an action without stalling the event loop.

rasa-sdk runs every action on one asyncio loop; a backend that takes two
seconds must only delay its own conversation, so each call runs in a worker
thread of a pool sized for many slow calls at once. The caller's context
(correlation id, turn key) travels with the call.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, TypeVar

T = TypeVar("T")

_POOL = ThreadPoolExecutor(max_workers=64, thread_name_prefix="backend")


async def off_loop(function: Callable[..., T], *args: object) -> T:
    """Run ``function(*args)`` in the backend thread pool and await its result."""
    context = contextvars.copy_context()
    call = functools.partial(context.run, function, *args)
    return await asyncio.get_running_loop().run_in_executor(_POOL, call)
