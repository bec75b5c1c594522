"""A whole lottery day for two players and an admin, as they read it, in English and in Russian.

The bot runs against the Bot API emulator and a real SMTP server; every message, button and email it
sends is written down in order and compared with a transcript kept in `tests/bot/transcripts/`, which
a person has read as the players would. After changing a text, regenerate and read the difference:

    UPDATE_TRANSCRIPTS=1 .venv/bin/pytest tests/bot/test_transcripts.py

The day is made deterministic without touching the draw: only Ann buys a ballot, so ballot #1 of 1
wins whatever the seed; Boris joins and pays but does not buy, and is told the result.
Prices are in euro cents (250 = €2.50), so the transcript shows how amounts are written.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.clock import FixedClock
from tests.bot.harness import ADMIN, BotHarness
from tests.support.bot_api import BotApiEmulator, SentMessage
from tests.support.smtp import SmtpServer

TRANSCRIPTS = Path(__file__).parent / "transcripts"
NOON = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)
ANN, BORIS = 1, 2
NAMES = {ANN: "Ann", BORIS: "Boris", ADMIN: "Admin"}


# A SHA-256 in hex: the draws' commitments and record hashes differ from run to run.
RANDOM_HASH = re.compile(r"\b[0-9a-f]{64}\b")


class Transcript:
    def __init__(self, harness: BotHarness, language: str) -> None:
        self.harness = harness
        self.api = harness.api
        self.language = language
        self.lines: list[str] = []

    def _record(self, message: SentMessage) -> None:
        verb = "edits" if message["method"] == "editMessageText" else "bot"
        text = message["text"].replace("\n", "\n      ")
        self.lines.append(f"  {verb} › {text}")
        markup = message["reply_markup"] or {}
        for row in markup.get("inline_keyboard", []):
            self.lines.append("      " + " ".join(f"[{button['text']}]" for button in row))
        if markup.get("force_reply"):
            self.lines.append(f"      (reply box: {markup.get('input_field_placeholder', '')})")

    async def say(self, user: int, text: str) -> SentMessage:
        self.lines.append(f"{NAMES[user]} › {text}")
        self.api.send_command(user, text, first_name=NAMES[user], language_code=self.language)
        return await self.expect(user)

    async def answer(self, user: int, question: SentMessage, text: str) -> SentMessage:
        """A plain message sent in reply to the bot's `question`, as its reply box sends it."""
        self.lines.append(f"{NAMES[user]} replies › {text}")
        self.api.send_text(
            user, text, first_name=NAMES[user], language_code=self.language, reply_to=question["message_id"]
        )
        return await self.expect(user)

    async def press(self, user: int, message: SentMessage, label_index: int = 0) -> SentMessage:
        markup = message["reply_markup"]
        assert markup is not None
        button = [b for row in markup["inline_keyboard"] for b in row][label_index]
        self.lines.append(f"{NAMES[user]} taps [{button['text']}]")
        self.api.press_button(user, button["callback_data"], message_id=message["message_id"])
        return await self.expect(user)

    async def expect(self, chat: int) -> SentMessage:
        message = await self.api.wait_for_message(chat)
        self._record(message)
        return message

    async def notice(self, chat: int) -> None:
        message = await self.api.wait_for_message(chat)
        self.lines.append(f"(notice to {NAMES[chat]})")
        self._record(message)

    async def email(self, smtp: SmtpServer) -> None:
        [mail] = await smtp.wait_for_messages(1)
        self.lines.append(f"(email to {', '.join(mail.envelope_to)})")
        self.lines.append(f"  Subject: {mail.subject}")
        body = mail.text.replace("\r\n", "\n").rstrip("\n")
        self.lines += ["  " + line if line else "" for line in body.split("\n")]

    def text(self) -> str:
        """The transcript, with each run's random hashes (commitments, record hashes) written as ‹sha256›."""
        text = "\n".join(line.rstrip() for line in "\n".join(self.lines).split("\n")) + "\n"
        return RANDOM_HASH.sub("‹sha256›", text)


@pytest.fixture
async def euro_harness(api: BotApiEmulator, smtp: SmtpServer, database_url: str) -> AsyncIterator[BotHarness]:
    running = BotHarness(api, smtp, database_url, FixedClock(NOON), ballot_price=250, currency="EUR")
    await running.start()
    yield running
    await running.stop()


async def a_day(t: Transcript, smtp: SmtpServer) -> None:
    welcome = await t.say(ANN, "/start")
    await t.press(ANN, welcome, 0)
    await t.press(ANN, welcome, 1)
    await t.say(ANN, "/help")
    paid = await t.say(ANN, "/pay 2")
    picker = await t.say(ANN, "/buy")
    await t.press(ANN, picker, 0)
    await t.say(ANN, "/me")
    await t.say(ANN, "/email ann@example.com")

    await t.say(BORIS, "/start")
    await t.say(BORIS, "/join")
    await t.say(BORIS, "/buy 1")
    await t.say(BORIS, "/pay 1")
    await t.say(BORIS, "/buy 5")
    await t.say(BORIS, "/events")
    await t.say(BORIS, "/winner")
    await t.say(BORIS, "/winner tomorrow")
    await t.say(BORIS, "/buy two")
    pay_picker = await t.say(BORIS, "/pay")
    how_many = await t.press(BORIS, pay_picker, 3)
    await t.answer(BORIS, how_many, "two")
    await t.answer(BORIS, how_many, "1")

    await t.say(ADMIN, "/start")
    await t.say(ADMIN, "/newevent 2024-05-03 300 Big Friday")
    await t.say(ADMIN, "/editevent 2024-05-03 prize a teddy bear")
    await t.say(ADMIN, "/events")
    await t.say(ADMIN, "/stats")
    question = await t.say(ADMIN, "/close")
    await t.press(ADMIN, question, 0)
    await t.notice(ANN)
    await t.notice(BORIS)
    await t.email(smtp)

    await t.say(ANN, "/winner")
    await t.say(ANN, "/winner yesterday")
    await t.say(ANN, "/winner 3.5.2024")
    await t.press(ANN, paid, 0)
    await t.say(ANN, "/buy 1")
    await t.say(ANN, "/events")
    await t.say(BORIS, "/history")
    await t.say(BORIS, "/refund")
    await t.say(ADMIN, "/cancelevent 2024-05-03")


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_a_whole_day_reads_as_reviewed(
    euro_harness: BotHarness, smtp: SmtpServer, language: str
) -> None:
    transcript = Transcript(euro_harness, language)
    await a_day(transcript, smtp)
    written = transcript.text()
    path = TRANSCRIPTS / f"{language}.txt"
    if os.environ.get("UPDATE_TRANSCRIPTS") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(written, encoding="utf-8")
    reviewed = path.read_text(encoding="utf-8")
    difference = "".join(
        difflib.unified_diff(
            reviewed.splitlines(keepends=True), written.splitlines(keepends=True), str(path), "this run"
        )
    )
    assert not difference, "the transcript changed; read it, then UPDATE_TRANSCRIPTS=1:\n" + difference
