"""Verifiable draws through the real bot, fake drand mirrors on loopback and a test clock.

The close freezes and announces the record before round R exists; the draw waits while the mirrors
are down (the bot keeps answering); then the winner message, /winner and /verify agree, and the
record the admin exports passes `python -m core.verify` run as a separate process.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.beacon import QUICKNET_CHAIN_HASH
from core.clock import FixedClock
from tests.bot.harness import ADMIN, BotHarness
from tests.support.beacon import FakeDrand
from tests.support.bot_api import BotApiEmulator
from tests.support.processes import ROOT, clean_env
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.e2e

CHANNEL = -1007770001
DAY = "2024-05-01"


@pytest.fixture
async def drand_harness(
    api: BotApiEmulator, smtp: SmtpServer, database_url: str, bot_clock: FixedClock
) -> AsyncIterator[tuple[BotHarness, list[FakeDrand]]]:
    mirrors = [FakeDrand(lambda: bot_clock.now().timestamp()) for _ in range(2)]
    for mirror in mirrors:
        await mirror.up()
    running = BotHarness(
        api,
        smtp,
        database_url,
        bot_clock,
        draw_beacon="drand",
        draw_beacon_urls=",".join(m.url for m in mirrors),
        draw_beacon_delay=30,
        draw_beacon_verify_bls=False,  # the fake mirrors' signatures are not BLS signatures
        results_channel_id=str(CHANNEL),
    )
    await running.start()
    try:
        yield running, mirrors
    finally:
        await running.stop()
        for mirror in mirrors:
            await mirror.down()


def _verifier(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "core.verify", *arguments],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_frozen_then_drawn_and_every_view_agrees_and_the_export_verifies(
    drand_harness: tuple[BotHarness, list[FakeDrand]], tmp_path: Path
) -> None:
    harness, mirrors = drand_harness
    await harness.player_with_ballots(1, 3)
    await harness.player_with_ballots(2, 2)

    closed = await harness.close_now()
    match = re.search(r"5 ballots frozen; drawn from drand round (\d+) when it comes", closed)
    assert match, closed
    round_r = match.group(1)

    # The frozen record reaches players and the channel before round R exists.
    for chat in (1, 2, CHANNEL):
        frozen = await harness.api.wait_for_message(chat, lambda t: "are frozen" in t)
        assert f"drand quicknet round {round_r}" in frozen["text"]
        assert "which nobody can know yet" in frozen["text"]
    root = re.search(r"Merkle root: ([0-9a-f]{64})", frozen["text"])
    assert root
    assert f"waiting for drand round {round_r}" in await harness.say(3, f"/winner {DAY}")
    pending = await harness.say(3, f"/verify {DAY}")
    assert "Not drawn yet" in pending
    assert root.group(1) in pending
    # Exporting half a record would fail the verifier as malformed: the admin is told what it waits for.
    early = await harness.say(ADMIN, f"/exportrecord {DAY}")
    assert f"not drawn yet: it is waiting for drand round {round_r}" in early
    assert [d for d in harness.api.documents if d["chat_id"] == ADMIN] == []

    # The beacon is unreachable past round R's time: the draw waits, the bot keeps answering.
    for mirror in mirrors:
        await mirror.down()
    harness.advance(dt.timedelta(seconds=45))
    await asyncio.sleep(0.5)  # several ticks of the draw job
    assert f"waiting for drand round {round_r}" in await harness.say(3, f"/winner {DAY}")
    assert "May 1, 2024: closed, waiting for the draw" in await harness.say(4, "/events")
    await harness.api.assert_no_message(1, wait=0.3)

    for mirror in mirrors:
        await mirror.up()
    winner = await harness.api.wait_for_message(1, lambda t: "You won" in t or "is drawn" in t)
    other = await harness.api.wait_for_message(2, lambda t: "You won" in t or "is drawn" in t)
    channel = await harness.api.wait_for_message(CHANNEL, lambda t: "is drawn" in t)
    assert ("You won" in winner["text"]) != ("You won" in other["text"])
    number = re.search(r"ballot #(\d+) of 5 wins", channel["text"])
    assert number
    for notice in (winner, other):
        assert f"drand quicknet round {round_r}" in notice["text"]
        assert f"/verify {DAY}" in notice["text"]
    assert f"#{number.group(1)}" in (winner["text"] if "You won" in winner["text"] else other["text"])

    said = await harness.say(3, f"/winner {DAY}")
    assert f"the winning ballot is #{number.group(1)} of 5" in said
    verified = await harness.say(3, f"/verify {DAY}")
    assert f"Winning number: #{number.group(1)}" in verified
    inline = re.search(r"python -m core\.verify '(\{.*\})'", verified)
    assert inline
    assert json.loads(inline.group(1))["winning_number"] == int(number.group(1))
    # Only drand can vouch for the randomness: /verify says where to compare, and that BLS went unchecked.
    assert f"{QUICKNET_CHAIN_HASH}/public/{json.loads(inline.group(1))['round']} must give" in verified
    assert "Warning: the bot did not check this round's BLS signature." in verified

    harness.api.send_command(ADMIN, f"/exportrecord {DAY}")
    await harness.api.wait_for_message(ADMIN, lambda t: f"record-{DAY}.json" in t)
    [document] = [d for d in harness.api.documents if d["chat_id"] == ADMIN]
    assert document["filename"] == f"record-{DAY}.json"
    # The document is the whole answer: no apology follows it (PTB must be able to read Telegram's reply).
    await harness.api.assert_no_message(ADMIN, wait=0.5)
    path = tmp_path / document["filename"]
    path.write_bytes(document["data"])
    checked = _verifier(str(path))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"OK, ballot #{number.group(1)} of 5 wins" in checked.stdout
    # The one-line command /verify gives checks the same record, and a tampered copy fails.
    assert _verifier(inline.group(1)).returncode == 0
    tampered = json.loads(document["data"])
    tampered["winning_number"] = tampered["winning_number"] % 5 + 1
    path.write_text(json.dumps(tampered), encoding="utf-8")
    assert _verifier(str(path)).returncode == 1


async def test_only_admins_export_and_bad_input_changes_nothing(harness: BotHarness) -> None:
    assert "for the lottery's admins" in await harness.say(1, f"/exportrecord {DAY}")
    assert "Usage: /exportrecord" in await harness.say(ADMIN, "/exportrecord")
    assert "is not a date" in await harness.say(ADMIN, "/exportrecord tomorrow")
    assert "no draw record" in await harness.say(ADMIN, f"/exportrecord {DAY}")
    assert "can't read “2024-13-01” as a day" in await harness.say(1, "/verify 2024-13-01")
    # /verify reads days as /winner does.
    assert "The lottery of May 1, 2024 is still open" in await harness.say(1, "/verify 1.5.2024")
    assert "No lottery has been frozen" in await harness.say(1, "/verify")
    assert harness.api.documents == []


async def test_a_restart_between_freeze_and_draw_draws_once_and_announces_once(
    drand_harness: tuple[BotHarness, list[FakeDrand]],
) -> None:
    harness, _mirrors = drand_harness
    await harness.player_with_ballots(1, 2)
    assert "frozen; drawn from drand round" in await harness.close_now()
    await harness.api.wait_for_message(1, lambda t: "are frozen" in t)
    await harness.stop()
    harness.advance(dt.timedelta(minutes=5))  # down past round R
    await harness.start()
    won = await harness.api.wait_for_message(1, lambda t: "You won" in t)
    assert "ballot #" in won["text"]
    assert "of 2" in won["text"]
    await harness.restart()
    messages = await harness.settle(1)
    assert len([t for t in messages if "You won" in t]) == 1


async def test_local_mode_shows_the_commitment_before_any_ballot_and_the_record_reveals_it(
    harness: BotHarness, tmp_path: Path
) -> None:
    await harness.say(1, "/start", first_name="P1")
    before = await harness.say(1, f"/verify {DAY}")
    committed = re.search(r"committed to as ([0-9a-f]{64})", before)
    assert committed, before
    assert "still open" in before
    await harness.player_with_ballots(1, 2)
    await harness.player_with_ballots(2, 1)
    await harness.close_now()
    await harness.api.wait_for_message(1, lambda t: "/verify" in t and DAY in t)

    verified = await harness.say(1, f"/verify {DAY}")
    assert committed.group(1) in verified
    assert "The commitment was published when the lottery opened, before any ballot." in verified
    inline = re.search(r"python -m core\.verify '(\{.*\})'", verified)
    assert inline
    document = json.loads(inline.group(1))
    assert (document["commitment"], document["committed_at"]) == (committed.group(1), "open")
    path = tmp_path / "local.json"
    path.write_text(inline.group(1))
    checked = _verifier(str(path))
    assert checked.returncode == 0, checked.stdout
    assert "the commitment was published when the event opened" in checked.stdout
