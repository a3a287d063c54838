"""The limits' counters: a lock-out at the limit, doubling, a ceiling, forgiveness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aftersales.domain.attempts import FORGIVE_AFTER, Counter, Limit, hit, locked_until

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
LIMIT = Limit("test", max_hits=3, window=timedelta(hours=1), first_lockout=timedelta(minutes=15),
              max_lockout=timedelta(hours=1))


def test_the_hit_that_reaches_the_limit_locks_and_the_ones_before_do_not():
    counter = Counter("test:x")
    assert [hit(counter, LIMIT, T0 + timedelta(minutes=n)) for n in range(3)] == [False, False, True]
    assert locked_until(counter, T0 + timedelta(minutes=3)) == T0 + timedelta(minutes=2 + 15)
    assert locked_until(counter, T0 + timedelta(minutes=18)) is None


def test_hits_spread_wider_than_the_window_never_lock():
    counter = Counter("test:x")
    assert not any(hit(counter, LIMIT, T0 + n * timedelta(minutes=40)) for n in range(10))


def test_each_further_lockout_doubles_up_to_the_ceiling():
    counter, now, lengths = Counter("test:x"), T0, []
    for _ in range(4):
        for _ in range(3):
            started = hit(counter, LIMIT, now)
        assert started and counter.locked_until is not None
        lengths.append(counter.locked_until - now)
        now = counter.locked_until + timedelta(seconds=1)
    assert lengths == [timedelta(minutes=15), timedelta(minutes=30), timedelta(hours=1), timedelta(hours=1)]


def test_a_counter_left_alone_for_a_day_forgets_its_lockouts():
    counter = Counter("test:x")
    for _ in range(3):
        hit(counter, LIMIT, T0)
    later = T0 + FORGIVE_AFTER + timedelta(hours=1)
    for _ in range(3):
        hit(counter, LIMIT, later)
    assert counter.lockouts == 1 and counter.locked_until == later + timedelta(minutes=15)


def test_keys_are_scoped_and_bounded():
    assert LIMIT.key("P1") == "test:P1"
    assert len(LIMIT.key("x" * 500)) == 200
