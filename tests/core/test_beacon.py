"""The drand adapter against fake mirrors on loopback, and quicknet's BLS check on a real round."""

from __future__ import annotations

import time

import pytest

from core.beacon import BeaconError, BeaconRound, DrandBeacon, round_time, signature_verifies
from tests.core.test_verifiable_draws import ROUND_657413
from tests.support.beacon import FakeDrand, fake_round

NOW = float(round_time(1000))


def test_the_recorded_quicknet_round_passes_the_bls_check_and_a_changed_one_fails() -> None:
    started = time.perf_counter()
    assert signature_verifies(ROUND_657413)
    elapsed = time.perf_counter() - started
    assert not signature_verifies(BeaconRound(657414, ROUND_657413.signature, ROUND_657413.randomness))
    flipped = bytearray(ROUND_657413.signature)
    flipped[-1] ^= 1
    assert not signature_verifies(BeaconRound(657413, bytes(flipped), ROUND_657413.randomness))
    # Pure Python pairings: ~0.6 s when the machine is quiet; the draw runs it in a thread.
    assert elapsed < 5, elapsed


async def test_two_agreeing_mirrors_give_the_round() -> None:
    async with FakeDrand(lambda: NOW) as one, FakeDrand(lambda: NOW) as two:
        beacon = DrandBeacon([one.url, two.url], verify_signatures=False)
        assert await beacon.fetch(1000) == fake_round(1000)
        assert await beacon.fetch(1001) is None  # not published yet
        assert one.requests == [1000, 1001]


async def test_a_round_waits_while_too_few_mirrors_answer_and_comes_when_they_are_back() -> None:
    async with FakeDrand(lambda: NOW) as one, FakeDrand(lambda: NOW) as two:
        beacon = DrandBeacon([one.url, two.url], verify_signatures=False, timeout=1)
        await two.down()
        assert await beacon.fetch(999) is None
        await two.up()
        assert await beacon.fetch(999) == fake_round(999)


async def test_mirrors_that_disagree_are_refused() -> None:
    async with FakeDrand(lambda: NOW) as one, FakeDrand(lambda: NOW) as two:
        two.lying = True
        beacon = DrandBeacon([one.url, two.url], verify_signatures=False)
        with pytest.raises(BeaconError, match="disagree"):
            await beacon.fetch(1000)


async def test_a_round_whose_randomness_is_not_the_hash_of_its_signature_is_refused() -> None:
    async with FakeDrand(lambda: NOW) as one:
        good = fake_round(1000)
        one.recorded[1000] = BeaconRound(1000, good.signature, bytes(32))
        with pytest.raises(BeaconError, match="SHA-256"):
            await DrandBeacon([one.url], verify_signatures=False).fetch(1000)


async def test_a_fake_signature_fails_the_bls_check_and_the_real_round_passes() -> None:
    async with FakeDrand(lambda: NOW) as one:
        one.recorded[657413] = ROUND_657413
        beacon = DrandBeacon([one.url])
        assert await beacon.fetch(657413) == ROUND_657413
        with pytest.raises(BeaconError, match="BLS"):
            await beacon.fetch(1000)


async def test_with_bls_one_lying_mirror_does_not_hold_the_draw_the_verified_answer_wins() -> None:
    async with FakeDrand(lambda: NOW) as honest, FakeDrand(lambda: NOW) as liar:
        honest.recorded[657413] = ROUND_657413
        forged = fake_round(657413, salt=b"liar")
        liar.recorded[657413] = forged  # randomness = SHA-256(signature), but no BLS signature
        for order in ([liar.url, honest.url], [honest.url, liar.url]):
            assert await DrandBeacon(order).fetch(657413) == ROUND_657413


async def test_with_bls_one_mirror_suffices_and_none_that_verifies_is_refused() -> None:
    async with FakeDrand(lambda: NOW) as one, FakeDrand(lambda: NOW) as two:
        one.recorded[657413] = ROUND_657413
        await two.down()
        assert await DrandBeacon([one.url, two.url], timeout=1).fetch(657413) == ROUND_657413
        await two.up()
        one.recorded[657413] = fake_round(657413, salt=b"one")
        two.recorded[657413] = BeaconRound(657413, ROUND_657413.signature, bytes(32))
        with pytest.raises(BeaconError, match="no mirror's answer verifies") as refused:
            await DrandBeacon([one.url, two.url]).fetch(657413)
        assert "BLS signature does not verify" in str(refused.value)
        assert "not SHA-256 of the signature" in str(refused.value)
