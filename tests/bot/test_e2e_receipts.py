"""Receipts and proofs through the real bot: a buyer sees their receipts and checks a proof themselves."""

from __future__ import annotations

import re
import shlex

import pytest

from tests.bot.harness import BotHarness
from tests.support.processes import clean_env, finish, start_module

pytestmark = pytest.mark.e2e

RECEIPT_LINE = re.compile(r"^#(\d+) ([0-9a-f]{32})$", re.MULTILINE)


async def test_a_buyer_sees_receipts_and_checks_a_proof_with_the_verifier(harness: BotHarness) -> None:
    await harness.player_with_ballots(1, 3)

    tickets = await harness.say(1, "/mytickets")
    receipts = dict(RECEIPT_LINE.findall(tickets))
    assert sorted(receipts) == ["1", "2", "3"]
    assert len(set(receipts.values())) == 3

    answer = await harness.say(1, "/proof 2")
    assert "Ballot #2 of May 1, 2024 is one of 3 ballots." in answer
    assert f"Receipt: {receipts['2']}" in answer
    [command] = [line for line in answer.splitlines() if line.startswith("python -m core.verify proof ")]
    [checked] = await finish(await start_module("core.verify", *shlex.split(command)[3:], env=clean_env()))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "OK, ballot #2 is one of 3" in checked.stdout

    forged = command.replace(receipts["2"], receipts["1"])
    [refused] = await finish(await start_module("core.verify", *shlex.split(forged)[3:], env=clean_env()))
    assert refused.returncode == 1
    assert "FAIL leaf does not follow" in refused.stdout


async def test_proofs_are_for_holders_and_bad_input_changes_nothing(harness: BotHarness) -> None:
    await harness.player_with_ballots(1, 2)
    await harness.player_with_ballots(2, 1)
    before = (await harness.say(1, "/me"), await harness.say(1, "/mytickets"))

    refused = await harness.say(2, "/proof 1")
    assert refused == "Ballot #1 is not yours: only its holder gets its proof."
    assert "Receipt" not in refused
    for text, expected in [
        ("/proof", "Give a ballot number, e.g. /proof 2"),
        ("/proof abc", "“abc” is not a ballot number. Numbers start at 1"),
        ("/proof 0", "“0” is not a ballot number"),
        ("/proof 99", "There is no ballot #99 on May 1, 2024. See /mytickets."),
        ("/proof 2024-13-01 1", "is not a date"),
        ("/proof 2024-04-01 1", "There is no ballot #1 on April 1, 2024"),
        ("/proof 1 2 3", "Give a ballot number"),
    ]:
        answer = await harness.say(1, text)
        assert expected in answer, (text, answer)
        assert len(answer) < 300, text

    assert (await harness.say(1, "/me"), await harness.say(1, "/mytickets")) == before
    assert "Ballot #3 of May 1, 2024 is one of 3 ballots." in await harness.say(2, "/proof 3")
    assert "Ballot #2 of May 1, 2024" in await harness.say(1, "/proof 2024-05-01 #2")
