"""Fast handler tests: real updates through `Application.process_update`, no sockets.

The database is a real SQLite file (or PostgreSQL); only the Bot API is replaced, by a recorder.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, Update

from bot.app import LotteryBot
from bot.handlers.guards import Throttle
from bot.settings import load_settings
from core.clock import FixedClock
from core.service import LotteryService
from tests.bot.conftest import NOON
from tests.bot.recording import BOT_USER, RecordingRequest

ADMIN = 900
_update_ids = itertools.count(1)


def command(bot: Bot, user_id: int, text: str, *, chat_type: str = "private") -> Update:
    word = text.split()[0]
    data = {
        "update_id": next(_update_ids),
        "message": {
            "message_id": next(_update_ids),
            "date": 1714564800,
            "chat": {"id": user_id if chat_type == "private" else -5, "type": chat_type},
            "from": {"id": user_id, "is_bot": False, "first_name": f"P{user_id}"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(word)}] if word[0] == "/" else [],
        },
    }
    return Update.de_json(data, bot)


class Driver:
    def __init__(self, bot: LotteryBot, request: RecordingRequest) -> None:
        self.bot = bot
        self.request = request

    async def say(self, user_id: int, text: str) -> str:
        update = command(self.bot.application.bot, user_id, text)
        await self.bot.application.process_update(update)
        return self.request.texts(user_id)[-1]


@pytest.fixture
async def driver(database_url: str) -> AsyncIterator[Driver]:
    settings = load_settings(
        telegram_bot_token="1:offline",
        database_url=database_url,
        admin_ids=str(ADMIN),
        ballot_price=10,
    )
    lottery = LotteryService.connect(database_url, rules=settings.lottery_rules(), clock=FixedClock(NOON))
    request = RecordingRequest()
    bot = LotteryBot(settings, lottery, throttle=Throttle(rate=1000, burst=1000), request=request)
    await bot.application.initialize()
    assert bot.application.bot.username == BOT_USER["username"]
    yield Driver(bot, request)
    await bot.application.shutdown()
    await lottery.close()


async def test_the_player_commands_in_order(driver: Driver) -> None:
    assert "registered" in await driver.say(1, "/start")
    assert "You're in" in await driver.say(1, "/join")
    assert "Your credit: ⭐ 20" in await driver.say(1, "/pay 2")
    assert "#1, #2" in await driver.say(1, "/buy 2")
    assert "Your 2 ballots today, each with its private receipt:\n#1 " in await driver.say(1, "/mytickets")
    history = await driver.say(1, "/history")
    assert "−⭐ 20  bought ballots ×2 (May 1, 2024)" in history
    assert "+⭐ 20  payment" in history
    assert "Today, May 1, 2024: 2 ballots so far, ⭐ 10 each. Drawn in 12 hours." in await driver.say(
        1, "/events"
    )


async def test_admin_commands(driver: Driver) -> None:
    assert "Created" in await driver.say(ADMIN, "/newevent 2024-05-03 7 Big Friday")
    assert "Big Friday" in await driver.say(ADMIN, "/events")
    assert "Upcoming:\nMay 3, 2024 – Big Friday: ⭐ 7 each" in await driver.say(ADMIN, "/events")
    assert "Updated" in await driver.say(ADMIN, "/editevent 2024-05-03 price 9")
    assert "Updated" in await driver.say(ADMIN, "/editevent 2024-05-03 title Bigger Friday")
    assert "Usage" in await driver.say(ADMIN, "/editevent 2024-05-03 colour red")
    assert "Deleted" in await driver.say(ADMIN, "/deleteevent 2024-05-03")
    assert "no lottery on May 3, 2024" in await driver.say(ADMIN, "/deleteevent 2024-05-03")
    assert "Usage" in await driver.say(ADMIN, "/cancelevent")
    assert "Players: 0" in await driver.say(ADMIN, "/stats")
    await driver.say(1, "/start")
    assert "in all" in await driver.say(ADMIN, "/users")
    assert "is cancelled" in await driver.say(ADMIN, "/cancelevent 2024-05-01")
    assert "There was no open lottery" in await driver.say(ADMIN, "/close")


@pytest.mark.parametrize(
    "text", ["/close", "/newevent 2024-06-01", "/stats", "/users", "/cancelevent 2024-05-01"]
)
async def test_non_admins_are_refused_and_nothing_changes(driver: Driver, text: str) -> None:
    await driver.say(1, "/start")
    assert await driver.say(1, text) == "That command is for the lottery's admins."
    assert "Today, May 1, 2024: 0 ballots so far" in await driver.say(1, "/events")


async def test_an_unexpected_failure_is_apologised_for_and_logged(
    driver: Driver, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    await driver.say(1, "/start")

    async def broken(telegram_id: int) -> None:
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr(driver.bot.lottery.players, "profile", broken)
    answer = await driver.say(1, "/me")
    assert answer.startswith("Sorry, something went wrong")
    assert "handler failed" in caplog.text
    assert "the disk is on fire" in caplog.text
