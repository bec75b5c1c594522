"""The per-user throttle: bursts pass, floods get one warning, and idle users cost no memory."""

from __future__ import annotations

from bot.handlers.guards import Throttle


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_passes_then_one_warning_then_silence_until_refilled() -> None:
    clock = Clock()
    throttle = Throttle(rate=2, burst=3, clock=clock)
    assert [throttle.allow(1) for _ in range(5)] == [
        (True, False),
        (True, False),
        (True, False),
        (False, True),
        (False, False),
    ]
    assert throttle.allow(2) == (True, False)  # another user has a bucket of their own
    clock.now = 0.5  # one token back
    assert throttle.allow(1) == (True, False)
    assert throttle.allow(1) == (False, True)


def test_users_idle_long_enough_to_refill_are_forgotten_a_few_per_call() -> None:
    clock = Clock()
    throttle = Throttle(rate=2, burst=10, clock=clock)  # refilled after 5 s
    for user in range(1_000):
        throttle.allow(user)
    assert throttle.users == 1_000
    clock.now = 4.9
    throttle.allow(5_000)
    assert throttle.users == 1_001  # none has refilled yet: none is forgotten
    clock.now = 5.0
    for _ in range(500):
        throttle.allow(5_000)
    assert throttle.users == 1  # only the active user is left


def test_a_forgotten_user_starts_again_with_a_full_bucket() -> None:
    clock = Clock()
    throttle = Throttle(rate=1, burst=2, clock=clock)
    throttle.allow(1)
    throttle.allow(1)
    assert throttle.allow(1) == (False, True)
    clock.now = 10
    throttle.allow(2)  # forgets user 1, who has refilled
    assert [throttle.allow(1) for _ in range(3)] == [(True, False), (True, False), (False, True)]
