"""The standalone verifier agrees with the bot's draw code and rejects any tampered record or chain."""

from __future__ import annotations

import copy
import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from core import merkle, verify
from core.beacon import round_time
from core.draws import ballot_leaf, draw_seed, verifiable_winner
from core.verify import record_hash
from tests.core.test_verifiable_draws import GOLDEN, ROUND_657413
from tests.support.processes import ROOT, clean_env


def build_record(*, event_id: int, count: int, previous: dict[str, Any] | None) -> dict[str, Any]:
    """A record made with the bot's own functions (core.draws, core.merkle), as the close will store it."""
    datas = [
        ballot_leaf(event_id=event_id, number=n, receipt=bytes([n % 256]) * 16) for n in range(1, count + 1)
    ]
    leaves = [merkle.leaf_hash(d) for d in datas]
    root = merkle.root(leaves)
    seed = draw_seed(
        event_id=event_id,
        ballot_count=count,
        root=root,
        round_number=ROUND_657413.round_number,
        randomness=ROUND_657413.randomness,
    )
    frozen: dict[str, Any] = {
        "version": "lottery-draw-v1",
        "event_id": event_id,
        "day": f"2023-09-{event_id:02d}",
        "beacon": "drand",
        "ballot_count": count,
        "root": root.hex(),
        # Frozen 30 s before round 657413, with a 30 s delay: R is that very round.
        "frozen_at": round_time(ROUND_657413.round_number) - 30,
        "delay": 30,
        "round": ROUND_657413.round_number,
        "commitment": None,
        "previous_record_hash": previous["record_hash"] if previous else None,
    }
    return {
        **frozen,
        "record_hash": record_hash(frozen),
        "signature": ROUND_657413.signature.hex(),
        "randomness": ROUND_657413.randomness.hex(),
        "seed": seed.hex(),
        "winning_number": verifiable_winner(seed, count),
        "proofs": [
            {
                "number": n,
                "leaf": datas[n - 1].hex(),
                "path": [h.hex() for h in merkle.inclusion_proof(leaves, n - 1)],
            }
            for n in range(1, count + 1)
        ],
    }


@pytest.mark.parametrize(("event", "count", "root", "round_number", "seed_hex", "winner"), GOLDEN)
def test_verifier_reproduces_the_golden_vectors(
    event: int, count: int, root: bytes, round_number: int, seed_hex: str, winner: int
) -> None:
    record = {
        "event_id": event,
        "ballot_count": count,
        "root": root.hex(),
        "round": round_number,
        "randomness": ROUND_657413.randomness.hex(),
    }
    seed = verify.seed_of(record)
    assert seed.hex() == seed_hex
    assert verify.winner_of(seed, count) == winner


def test_a_sound_chain_passes() -> None:
    first = build_record(event_id=1, count=5, previous=None)
    second = build_record(event_id=2, count=13, previous=first)
    assert verify.problems(first, None) == []
    assert verify.problems(second, first) == []


FIELDS = [
    "version",
    "event_id",
    "day",
    "beacon",
    "ballot_count",
    "root",
    "frozen_at",
    "delay",
    "round",
    "record_hash",
    "signature",
    "randomness",
    "seed",
    "winning_number",
]


def test_the_bot_and_the_verifier_hash_the_frozen_part_alike() -> None:
    first = build_record(event_id=1, count=5, previous=None)
    second = build_record(event_id=2, count=13, previous=first)
    assert verify.record_hash(first) == first["record_hash"]
    assert verify.record_hash(second) == second["record_hash"] != first["record_hash"]


def _tampered(value: Any) -> Any:
    if isinstance(value, int):
        return value + 1
    return ("0" if value[0] != "0" else "1") + value[1:]


@pytest.mark.parametrize("field", FIELDS)
def test_changing_any_field_fails(field: str) -> None:
    record = build_record(event_id=3, count=7, previous=None)
    record[field] = _tampered(record[field])
    assert verify.problems(record, None)


def test_changing_a_leaf_or_a_proof_step_fails() -> None:
    record = build_record(event_id=3, count=7, previous=None)
    leaf = copy.deepcopy(record)
    leaf["proofs"][4]["leaf"] = _tampered(leaf["proofs"][4]["leaf"])
    assert verify.problems(leaf, None)
    step = copy.deepcopy(record)
    step["proofs"][2]["path"][0] = _tampered(step["proofs"][2]["path"][0])
    assert verify.problems(step, None)


def test_a_broken_chain_link_fails() -> None:
    first = build_record(event_id=1, count=5, previous=None)
    second = build_record(event_id=2, count=6, previous=first)
    # A previous record rewritten whole (its own hash made to match) no longer matches the link.
    altered = {**first, "root": _tampered(first["root"])}
    altered["record_hash"] = verify.record_hash(altered)
    assert verify.problems(second, altered)
    # Its drawn part is bound by its own checks: a changed winner fails that record itself.
    assert verify.problems({**first, "winning_number": first["winning_number"] % 5 + 1}, None)
    second["previous_record_hash"] = _tampered(second["previous_record_hash"])
    assert verify.problems(second, first)


def _local_record(count: int) -> dict[str, Any]:
    """A local commit–reveal record: the commitment (published at freeze) is SHA-256 of the randomness."""
    secret = bytes(range(32))
    randomness = hashlib.sha256(secret).digest()
    record = build_record(event_id=4, count=count, previous=None)
    record |= {
        "beacon": "local",
        "round": 0,
        "commitment": hashlib.sha256(randomness).hexdigest(),
        "committed_at": "open",
    }
    record |= {"signature": secret.hex(), "randomness": randomness.hex()}
    seed = verify.seed_of(record)
    record |= {"seed": seed.hex(), "winning_number": verify.winner_of(seed, count)}
    record["record_hash"] = verify.record_hash(record)
    return record


def test_a_local_reveal_must_match_its_commitment() -> None:
    record = _local_record(9)
    assert verify.problems(record, None) == []
    record["commitment"] = _tampered(record["commitment"])
    record["record_hash"] = verify.record_hash(record)
    assert "revealed randomness does not match the commitment" in verify.problems(record, None)


def test_a_local_record_says_when_it_committed_and_the_verifier_warns_of_a_late_commitment() -> None:
    record = _local_record(9)
    assert verify.notes(record) == ["local commit-reveal: the commitment was published when the event opened"]
    late = record | {"committed_at": "freeze"}
    late["record_hash"] = verify.record_hash(late)
    assert verify.problems(late, None) == []
    assert verify.notes(late)[0].startswith("WARNING: local commit-reveal committed only at freeze")
    unsaid = record | {"committed_at": None}
    unsaid["record_hash"] = verify.record_hash(unsaid)
    assert verify.problems(unsaid, None) == ["committed_at is not 'open' or 'freeze'"]
    drand = build_record(event_id=5, count=3, previous=None) | {"committed_at": "open"}
    drand["record_hash"] = verify.record_hash(drand)
    assert verify.problems(drand, None) == ["a drand record carries no commitment"]


def test_a_drand_round_must_follow_from_the_freeze_time() -> None:
    record = build_record(event_id=5, count=3, previous=None)
    record["frozen_at"] += 60  # a later freeze names a later round: 657413 would be a round in the past
    record["record_hash"] = verify.record_hash(record)
    assert verify.problems(record, None) == [
        "round is not the first quicknet round at or after frozen_at + delay"
    ]


def _run(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "core.verify", *map(str, paths)],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_verifier_as_a_separate_process(tmp_path: Path) -> None:
    first = build_record(event_id=1, count=4, previous=None)
    second = build_record(event_id=2, count=9, previous=first)
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(first))
    b.write_text(json.dumps(second))
    ok = _run(a, b)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert f"ballot #{second['winning_number']} of 9 wins" in ok.stdout
    second["seed"] = _tampered(second["seed"])
    b.write_text(json.dumps(second))
    bad = _run(a, b)
    assert bad.returncode == 1
    assert "seed does not follow" in bad.stdout


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("event_id", -1),
        ("round", 2**70),
        ("ballot_count", 5.0),
        ("event_id", True),
        ("root", "AB" * 32),
        ("signature", "ab cd"),
        ("winning_number", None),
    ],
)
def test_a_malformed_field_fails_cleanly_and_has_one_spelling(field: str, value: Any) -> None:
    record = build_record(event_id=1, count=5, previous=None)
    record[field] = value
    found = verify.problems(record, None)
    assert any(problem.startswith(f"{field} is not") for problem in found), found


def test_unreadable_input_fails_without_a_traceback(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{bad", encoding="utf-8")
    a_list = tmp_path / "list.json"
    a_list.write_text("[1, 2]", encoding="utf-8")
    sound = tmp_path / "sound.json"
    sound.write_text(json.dumps(build_record(event_id=1, count=3, previous=None)), encoding="utf-8")
    result = _run(broken, tmp_path / "missing.json", a_list, sound)
    assert result.returncode == 1
    assert result.stderr == ""
    assert "broken.json: FAIL unreadable record" in result.stdout
    assert "missing.json: FAIL unreadable record" in result.stdout
    assert "list.json: FAIL not a JSON object" in result.stdout
    # The record after a malformed one cannot show its chain is intact.
    assert "sound.json: FAIL previous_record_hash" in result.stdout


@pytest.mark.parametrize("arguments", [[], ["--online"], ["--drand-url"], ["record.json", "--drand-url"]])
def test_options_without_a_record_or_a_value_print_the_usage(
    arguments: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert verify.main(arguments) == 2
    assert "--online" in capsys.readouterr().out
