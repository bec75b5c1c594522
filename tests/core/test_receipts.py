"""Receipts at purchase and inclusion proofs: a holder can show their ballot is under the event's root."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from core import merkle, verify
from core.clock import FixedClock
from core.draws import ballot_leaf
from core.errors import BallotWithoutReceipt, NoSuchBallot, NotRegistered, NotYourBallot
from core.service import LotteryService
from storage import Database
from tests.core.players import joined_player
from tests.support.processes import ROOT, clean_env

HEX_RECEIPT = re.compile(r"^[0-9a-f]{32}$")


async def _all_receipts(service: LotteryService, *players: int) -> dict[int, str]:
    held: dict[int, str] = {}
    for telegram_id in players:
        for ballot in (await service.receipts.today(telegram_id)).ballots:
            assert ballot.receipt is not None
            held[ballot.number] = ballot.receipt
    return held


async def test_each_ballot_gets_its_own_private_receipt(service: LotteryService) -> None:
    ann = await joined_player(service, 1, paid_ballots=4)
    bob = await joined_player(service, 2, paid_ballots=2)
    await service.tickets.buy(ann, 3)
    await service.tickets.buy(bob, 2)
    await service.tickets.buy(ann, 1)

    mine = (await service.receipts.today(ann)).ballots
    assert [b.number for b in mine] == [1, 2, 3, 6]
    held = await _all_receipts(service, ann, bob)
    assert sorted(held) == [1, 2, 3, 4, 5, 6]
    assert all(HEX_RECEIPT.match(r) for r in held.values())
    assert len(set(held.values())) == 6  # no two ballots, in one purchase or across purchases, share one


async def test_the_proof_recomputes_from_event_number_and_receipt(service: LotteryService) -> None:
    ann = await joined_player(service, 1, paid_ballots=3)
    bob = await joined_player(service, 2, paid_ballots=4)
    await service.tickets.buy(ann, 3)
    await service.tickets.buy(bob, 4)

    proof = await service.receipts.proof(ann, 2)
    held = await _all_receipts(service, ann, bob)
    datas = [
        ballot_leaf(event_id=proof.event_id, number=n, receipt=bytes.fromhex(held[n])) for n in range(1, 8)
    ]
    leaves = [merkle.leaf_hash(d) for d in datas]

    assert proof.receipt == held[2]
    assert proof.leaf == datas[1].hex()
    assert proof.ballot_count == 7
    assert proof.root == merkle.root(leaves).hex()
    path = [bytes.fromhex(h) for h in proof.path]
    assert len(path) == 3
    assert merkle.verify_inclusion(leaves[1], 1, 7, path, merkle.root(leaves))
    assert verify.proof_problems(proof.as_json()) == []


async def test_a_changed_receipt_or_path_step_fails_the_check(service: LotteryService) -> None:
    ann = await joined_player(service, 1, paid_ballots=5)
    await service.tickets.buy(ann, 5)
    proof = (await service.receipts.proof(ann, 4)).as_json()
    assert verify.proof_problems(proof) == []

    forged_receipt = dict(proof, receipt=_flip(proof["receipt"]))
    assert "leaf does not follow from the event, number and receipt" in verify.proof_problems(forged_receipt)
    for step in range(len(proof["path"])):
        path = list(proof["path"])
        path[step] = _flip(path[step])
        assert verify.proof_problems(dict(proof, path=path)) != [], step
    assert verify.proof_problems(dict(proof, number=3)) != []
    assert verify.proof_problems(dict(proof, root=_flip(proof["root"]))) != []


def _flip(hex_text: str) -> str:
    """The same hex string with its first nibble changed."""
    return ("1" if hex_text[0] == "0" else "0") + hex_text[1:]


def _run_verifier(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "core.verify", "proof", *args],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_the_standalone_verifier_checks_a_proof_in_its_own_process(
    service: LotteryService, tmp_path: Path
) -> None:
    ann = await joined_player(service, 1, paid_ballots=3)
    await service.tickets.buy(ann, 3)
    proof = (await service.receipts.proof(ann, 2)).as_json()
    sound = tmp_path / "proof.json"
    sound.write_text(json.dumps(proof))

    by_file = _run_verifier(str(sound))
    assert by_file.returncode == 0, by_file.stdout + by_file.stderr
    assert f"OK, ballot #2 is one of 3 under root {proof['root']}" in by_file.stdout
    inline = _run_verifier(json.dumps(proof))
    assert inline.returncode == 0, inline.stdout + inline.stderr

    tampered = _run_verifier(json.dumps(dict(proof, receipt=_flip(proof["receipt"]))))
    assert tampered.returncode == 1
    assert "FAIL leaf does not follow" in tampered.stdout
    broken = _run_verifier(json.dumps(dict(proof, path=[_flip(proof["path"][0]), *proof["path"][1:]])))
    assert broken.returncode == 1
    assert "does not reach the root" in broken.stdout
    malformed = _run_verifier('{"number": 2}')
    assert malformed.returncode == 1
    assert "root is not 64 lowercase hex digits" in malformed.stdout
    assert malformed.stderr == ""


async def test_only_the_holder_gets_a_proof_of_a_sold_ballot(service: LotteryService) -> None:
    ann = await joined_player(service, 1, paid_ballots=2)
    bob = await joined_player(service, 2, paid_ballots=1)
    await service.tickets.buy(ann, 2)
    await service.tickets.buy(bob, 1)

    with pytest.raises(NotYourBallot):
        await service.receipts.proof(bob, 1)
    with pytest.raises(NoSuchBallot):
        await service.receipts.proof(ann, 4)
    with pytest.raises(NoSuchBallot):
        await service.receipts.proof(ann, 1, (await service.events.today()).day.replace(year=2020))
    with pytest.raises(NotRegistered):
        await service.receipts.proof(77, 1)
    assert (await service.receipts.proof(bob, 3)).number == 3


async def test_a_ballot_sold_before_receipts_counts_with_an_empty_receipt(
    service: LotteryService, db: Database
) -> None:
    ann = await joined_player(service, 1, paid_ballots=3)
    await service.tickets.buy(ann, 3)
    async with db.engine.begin() as connection:
        await connection.execute(text("UPDATE ballots SET receipt = NULL WHERE number = 1"))

    assert (await service.receipts.today(ann)).ballots[0].receipt is None
    with pytest.raises(BallotWithoutReceipt):
        await service.receipts.proof(ann, 1)
    proof = await service.receipts.proof(ann, 3)
    assert verify.proof_problems(proof.as_json()) == []
    legacy = merkle.leaf_hash(ballot_leaf(event_id=proof.event_id, number=1, receipt=b""))
    path = [bytes.fromhex(h) for h in (await service.receipts.proof(ann, 2)).path]
    assert path[0] == legacy  # ballot #2's sibling is #1's leaf, hashed over an empty receipt


async def test_a_proof_of_an_earlier_day_is_against_that_day_s_ballots(
    service: LotteryService, clock: FixedClock
) -> None:
    ann = await joined_player(service, 1, paid_ballots=2)
    await service.tickets.buy(ann, 2)
    first_day = (await service.events.today()).day
    clock.advance(dt.timedelta(days=1))
    await service.tickets.join(ann)

    earlier = await service.receipts.proof(ann, 2, first_day)
    assert (earlier.day, earlier.ballot_count) == (first_day, 2)
    assert verify.proof_problems(earlier.as_json()) == []
    with pytest.raises(NoSuchBallot):
        await service.receipts.proof(ann, 1)  # today has no ballots yet
