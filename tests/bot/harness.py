"""A real bot against the Bot API emulator and a real SMTP server, with a clock the test moves.

`BotHarness` starts `LotteryBot` exactly as production does (`start()`/`stop()`), pointed at the
emulator on loopback; tests talk to it the way a user would and read what it sent back.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from bot.app import LotteryBot
from bot.handlers.guards import Throttle
from bot.mailer import SmtpMailer
from bot.settings import Settings, load_settings
from core.clock import FixedClock
from core.service import LotteryService
from tests.support.bot_api import BotApiEmulator, SentMessage
from tests.support.smtp import SmtpServer

TOKEN = "123456:TEST-TOKEN-abcdefghijklmnopqrstuvwxyz"
ADMIN = 900
MIDNIGHT_TICK = 0.1


def harness_settings(
    api: BotApiEmulator, smtp: SmtpServer | None, database_url: str, **extra: Any
) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": TOKEN,
        "telegram_api_base_url": api.base_url,
        "database_url": database_url,
        "admin_ids": str(ADMIN),
        "ballot_price": 10,
        "currency": "XTR",
        "close_tick_seconds": MIDNIGHT_TICK,
        "messages_per_second": 200,
        # Draws at once from the local commit–reveal unless a test brings its fake drand mirrors.
        "draw_beacon": "local",
        "draw_beacon_delay": 0,
    }
    if smtp is not None:
        values |= {"smtp_host": smtp.host, "smtp_port": smtp.port, "smtp_from": "lottery@example.com"}
    return load_settings(**(values | extra))


class BotHarness:
    def __init__(
        self,
        api: BotApiEmulator,
        smtp: SmtpServer | None,
        database_url: str,
        clock: FixedClock,
        *,
        throttle: Throttle | None = None,
        **settings: Any,
    ) -> None:
        self.api = api
        self.smtp = smtp
        self.database_url = database_url
        self.clock = clock
        self.settings = harness_settings(api, smtp, database_url, **settings)
        self.bot: LotteryBot | None = None
        # Tests type faster than people: a lenient throttle unless the test is about flooding.
        self.throttle = throttle or Throttle(rate=50, burst=50)

    def _new_bot(self) -> LotteryBot:
        lottery = LotteryService.connect(
            self.settings.database_url,
            rules=self.settings.lottery_rules(),
            clock=self.clock,
            gateway=self.settings.payment_gateway(),
            draws=self.settings.draw_policy(),
        )
        mailer = SmtpMailer.from_settings(self.settings) if self.settings.email_enabled else None
        # The delivery loop polls often so tests need not wait; production waits longer.
        bot = LotteryBot(self.settings, lottery, mailer=mailer, throttle=self.throttle)
        bot.delivery.idle_seconds = 0.05
        return bot

    async def start(self) -> LotteryBot:
        self.bot = self._new_bot()
        await self.bot.start()
        return self.bot

    async def stop(self) -> None:
        if self.bot is not None:
            await self.bot.stop()
            self.bot = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    @property
    def lottery(self) -> LotteryService:
        assert self.bot is not None
        return self.bot.lottery

    async def say(self, user_id: int, text: str, *, timeout: float = 10.0, **kwargs: Any) -> str:
        """Send `text` as `user_id` in a private chat and return the bot's reply."""
        if text.startswith("/"):
            self.api.send_command(user_id, text, **kwargs)
        else:
            self.api.send_text(user_id, text, **kwargs)
        return (await self.api.wait_for_message(kwargs.get("chat_id") or user_id, timeout=timeout))["text"]

    async def close_now(self, user_id: int = ADMIN) -> str:
        """/close, then the confirmation button: the draw's report (or the refusal) as the admin reads it."""
        self.api.send_command(user_id, "/close")
        question = await self.api.wait_for_message(user_id)
        markup = question["reply_markup"]
        if markup is None:
            return question["text"]
        yes = markup["inline_keyboard"][0][0]["callback_data"]
        report = await self.press(user_id, yes, message_id=question["message_id"])
        await self.api.wait_for_call("answerCallbackQuery")  # the press's own answer, not the test's
        return report["text"]

    async def press(self, user_id: int, data: str, *, message_id: int) -> SentMessage:
        self.api.press_button(user_id, data, message_id=message_id)
        return await self.api.wait_for_message(user_id)

    async def player_with_ballots(self, user_id: int, ballots: int) -> None:
        await self.say(user_id, "/start", first_name=f"P{user_id}")
        await self.say(user_id, "/join")
        await self.say(user_id, f"/pay {ballots}")
        await self.say(user_id, f"/buy {ballots}")

    async def settle(self, chat_id: int, *, quiet: float = 0.5) -> list[str]:
        """Everything sent to `chat_id` once the bot has stopped sending for `quiet` seconds."""
        count = -1
        while count != len(self.api.sent_messages(chat_id)):
            count = len(self.api.sent_messages(chat_id))
            await asyncio.sleep(quiet)
        return [message["text"] for message in self.api.sent_messages(chat_id)]

    def advance(self, delta: dt.timedelta) -> None:
        self.clock.advance(delta)
