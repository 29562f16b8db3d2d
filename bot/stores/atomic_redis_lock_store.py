"""Rasa's Redis lock store with every ticket change made atomically.

Rasa 3.6's ``RedisLockStore`` changes a conversation's ticket queue with a
read, a change in Python and a write. With several Rasa workers, two changes
to one conversation's queue can interleave: two messages get the same ticket
number (both are served at once), a finished ticket is written back after a
new one was issued (the new message waits for the lock to expire), or a
worker deletes the queue just after another joined it (that message fails).
Here each change runs in a Redis transaction on the conversation's key
(WATCH/MULTI/EXEC): if another worker changed the queue in between, the change
is re-read and retried, so every ticket change applies to the queue as it is.

Configured in endpoints.production.yml as
``type: bot.stores.atomic_redis_lock_store.AtomicRedisLockStore`` with the
same settings as Rasa's ``redis`` lock store.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Tuple, TypeVar

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

T = TypeVar("T")
Change = Callable[[TicketLock | None], Tuple[TicketLock | None, T]]


class AtomicRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)

    def _transact(self, conversation_id: str, change: Change[T]) -> T:
        """Apply ``change`` (old lock -> new lock or None to delete, result) atomically."""
        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    stored = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(stored)) if stored else None
                    new_lock, result = change(lock)
                    pipe.multi()
                    if new_lock is None:
                        pipe.delete(key)
                    else:
                        pipe.set(key, new_lock.dumps())
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue  # another worker changed this queue first: apply the change to the new state

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def add(lock: TicketLock | None) -> Tuple[TicketLock | None, int]:
            lock = lock or TicketLock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._transact(conversation_id, add)
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        def drop_expired(lock: TicketLock | None) -> Tuple[TicketLock | None, None]:
            if lock is None:
                return None, None
            lock.remove_expired_tickets()
            return lock, None

        self._transact(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self.cleanup(conversation_id, ticket_number)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Remove the ticket; delete the queue only if it is empty at that same moment."""

        def remove(lock: TicketLock | None) -> Tuple[TicketLock | None, None]:
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            return (lock if lock.is_someone_waiting() else None), None

        self._transact(conversation_id, remove)
