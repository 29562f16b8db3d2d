"""The limit rules (pure) and the stores they are kept in: SQLite, PostgreSQL and Redis, all real."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from actions.limits.rules import (
    DAY,
    MINUTE,
    LimitSettings,
    account_key,
    address_key,
    is_locked,
    locked_until,
    may_send_mail,
    order_key,
)
from actions.limits.store import RedisLimitStore, SqlLimitStore
from bot.profiles import ProductionSettings, admin_cursor, ensure_database, postgres_url

RULES = LimitSettings(failed_proofs=5, window_s=60 * MINUTE, lockout_s=60 * MINUTE, emails_per_day=3)


def test_five_failures_within_the_window_lock_for_the_lockout_from_the_fifth():
    failures = [0, 60, 120, 180, 240]
    assert locked_until(failures, RULES) == 240 + 3600
    assert is_locked(failures, 241, RULES) and is_locked(failures, 3839, RULES)
    assert not is_locked(failures, 3841, RULES)


def test_four_failures_or_failures_spread_wider_than_the_window_do_not_lock():
    assert locked_until([0, 60, 120, 180], RULES) is None
    spread = [0, 1000, 2000, 3000, 4000]  # any five span more than an hour
    assert locked_until(spread, RULES) is None
    assert locked_until(spread + [4100], RULES) == 4100 + 3600  # 1000..4100: five within the hour


def test_the_mail_limit_counts_a_rolling_day():
    assert may_send_mail([0, 10], 20, RULES)
    assert not may_send_mail([0, 10, 20], 30, RULES)
    assert may_send_mail([0, 10, 20], DAY + 1, RULES)  # the first fell out of the day


def test_keys_hold_no_address_and_normalise_what_people_type():
    key = account_key("Maria.Keller@Example.com ")
    assert "maria" not in key.casefold() and key == account_key("maria.keller@example.com")
    assert order_key("10023") != account_key("10023")  # kinds never collide
    assert address_key("sms", "+15552014477") != address_key("rcs", "+15552014477")


def test_settings_come_from_the_environment_with_documented_defaults():
    assert LimitSettings.from_env({}) == LimitSettings()
    tuned = LimitSettings.from_env({"PROOF_FAILURES_BEFORE_LOCKOUT": "3", "PROOF_LOCKOUT_MINUTES": "15",
                                    "EMAILS_PER_ADDRESS_PER_DAY": "2"})  # fmt: skip
    assert (tuned.failed_proofs, tuned.lockout_s, tuned.emails_per_day) == (3, 900, 2)


@pytest.fixture(params=["sqlite", "postgresql", "redis"])
def store(request, tmp_path):
    if request.param == "sqlite":
        yield SqlLimitStore(f"sqlite:///{tmp_path / 'limits.db'}")
    elif request.param == "postgresql":
        settings, database = ProductionSettings(), f"triage_test_limits_{uuid.uuid4().hex[:8]}"
        ensure_database(settings, database)
        sql = SqlLimitStore(postgres_url(settings, database))
        yield sql
        sql.engine.dispose()
        with admin_cursor(settings) as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    else:
        namespace = f"test{uuid.uuid4().hex[:8]}"
        redis_store = RedisLimitStore("redis://127.0.0.1:6379/1", namespace)
        yield redis_store
        for name in redis_store._redis.scan_iter(match=redis_store.prefix + "*"):
            redis_store._redis.delete(name)


def test_events_are_kept_per_key_oldest_first_and_a_turn_counts_once(store):
    key, other = order_key(uuid.uuid4().hex), order_key(uuid.uuid4().hex)
    store.record(key, "turn-b", 200.0, 3600)
    store.record(key, "turn-a", 100.0, 3600)
    store.record(key, "turn-a", 150.0, 3600)  # Rasa ran the same turn's action again
    store.record(other, "turn-c", 120.0, 3600)
    assert store.since(key, 0) == [("turn-a", 100.0), ("turn-b", 200.0)]
    assert store.since(key, 150) == [("turn-b", 200.0)]


def test_events_older_than_what_a_limit_can_use_are_dropped(store):
    key = order_key(uuid.uuid4().hex)
    store.record(key, "old", 0.0, 100)
    store.record(key, "new", 500.0, 100)
    assert store.since(key, -1) == [("new", 500.0)]


def test_two_workers_counting_at_once_lose_no_event(store):
    key = account_key(f"{uuid.uuid4().hex}@example.com")
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: store.record(key, f"turn-{n}", 1000.0 + n, 3600), range(40)))
    assert len(store.since(key, 0)) == 40


def test_redis_deployments_do_not_see_each_others_limits():
    first, second = (RedisLimitStore("redis://127.0.0.1:6379/1", f"test{uuid.uuid4().hex[:8]}") for _ in range(2))
    key = order_key("10023")
    try:
        first.record(key, "t", 1.0, 3600)
        assert second.since(key, 0) == [] and len(first.since(key, 0)) == 1
    finally:
        first._redis.delete(first.prefix + key)
