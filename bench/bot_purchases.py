"""Purchases per second through the bot: `/buy 1` updates driven through `Application.process_update`.

The figure is the whole path a purchase takes once python-telegram-bot has parsed the update: the
guards, the CommandHandler, the core purchase (its own SQLite write transaction on a real, migrated
temp file) and the reply, sent through PTB's Bot, its AIORateLimiter and an in-process recording
request (no sockets). Updates are awaited one after another, as the bot runs them
(`concurrent_updates` is 1), and come from 200 different players, so the per-user throttle never
refuses one.

Baselines from the same run, on a bare Application built with the same recording request: a
CommandHandler that does nothing (the floor of PTB's dispatch), and one that only replies (the floor of
any command that answers). Two informative lines: the replying handler behind an AIORateLimiter paced
as the bot paces it, at 1,000 msg/s, the ceiling on any command that replies whatever the database
does (in production MESSAGES_PER_SECOND caps replies, purchases included); and `tickets.buy` on the
same database with no bot around it, so the bot's own share of a purchase is visible.

Run from the project root: `python -m bench.bot_purchases`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telegram import Bot, Update
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, CommandHandler, ContextTypes

from bench._common import Outcome, command_update, median, print_table, spread, sqlite_url, temp_database
from bot.app import LotteryBot
from bot.handlers.guards import Throttle
from bot.settings import Settings, load_settings
from core.clock import FixedClock
from core.service import LotteryService
from tests.bot.recording import RecordingRequest

NOW = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)
TOKEN = "1:offline"
PLAYERS = 200
FIRST_TELEGRAM_ID = 30_001
WARMUP = 200
REPEATS = 5
PURCHASES_PER_REPEAT = 400
CORE_PURCHASES_PER_REPEAT = 200
NOOP_UPDATES_PER_REPEAT = 20_000
REPLY_UPDATES_PER_REPEAT = 3_000
LIMITED_UPDATES = 3_000
GOAL_PER_SECOND = 1_000.0
# The bot's own AIORateLimiter is set high enough not to bind: the recording request is not Telegram,
# and the figure is what the bot can do. In production MESSAGES_PER_SECOND (default 25) caps every
# reply, purchases included; LIMITED_RATE shows that ceiling at 1,000 msg/s.
MESSAGES_PER_SECOND = 100_000.0
LIMITED_RATE = 1_000.0

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


def players() -> list[int]:
    """The telegram ids taking turns, so no player's throttle bucket or balance row is hammered."""
    return [FIRST_TELEGRAM_ID + offset for offset in range(PLAYERS)]


def buy_updates(bot: Bot, count: int, offset: int) -> list[Update]:
    """`/buy 1` from the players in turn, parsed before the clock starts (the Updater's work, not ours)."""
    ids = players()
    return [
        command_update(bot, ids[index % PLAYERS], "/buy 1", at=NOW) for index in range(offset, offset + count)
    ]


async def drive(application: AnyApplication, updates: Sequence[Update]) -> float:
    """Await `process_update` for each update in turn; updates per second."""
    start = time.perf_counter()
    for update in updates:
        await application.process_update(update)
    return len(updates) / (time.perf_counter() - start)


# --- the figure: the lottery bot --------------------------------------------------------------------


def bench_settings(database_url: str) -> Settings:
    """Everything spelled out, so neither the environment nor a stray `.env` changes the run."""
    return load_settings(
        telegram_bot_token=TOKEN,
        database_url=database_url,
        ballot_price=1,
        max_ballots_per_purchase=100,
        lottery_timezone="UTC",
        smtp_host="",
        admin_ids="",
        messages_per_second=MESSAGES_PER_SECOND,
    )


async def say(bot: LotteryBot, request: RecordingRequest, user_id: int, text: str) -> str:
    """One command through the bot and the reply it sent, to check set-up steps really happened."""
    await bot.application.process_update(command_update(bot.application.bot, user_id, text, at=NOW))
    return request.texts(user_id)[-1]


async def prepare_players(bot: LotteryBot, request: RecordingRequest, credit_each: int) -> None:
    """/start, /join and /pay for every player through the bot, as real players would set up."""
    for user_id in players():
        for text, expected in (("/start", ""), ("/join", ""), (f"/pay {credit_each}", "credit")):
            answer = await say(bot, request, user_id, text)
            if expected not in answer.lower() or answer.startswith("Sorry"):
                raise RuntimeError(f"set-up {text!r} for {user_id} answered {answer!r}")


def check_replies(request: RecordingRequest, since: int, expected: int) -> None:
    """Every timed update must have bought a ballot and said so: a refusal would be a cheap answer."""
    replies = [params["text"] for name, params in request.calls[since:] if name == "sendMessage"]
    bought = sum(1 for text in replies if text.startswith("You bought 1 ballot"))
    if bought != expected or len(replies) != expected:
        sample = [text for text in replies if not text.startswith("You bought")][:3]
        raise RuntimeError(f"{bought} of {expected} purchases confirmed ({len(replies)} replies): {sample}")


async def bot_round(bot: LotteryBot, request: RecordingRequest, count: int, offset: int) -> float:
    """Time `count` purchases through the bot, then check each one was a purchase; purchases/s."""
    updates = buy_updates(bot.application.bot, count, offset)
    since = len(request.calls)
    rate = await drive(bot.application, updates)
    check_replies(request, since, count)
    return rate


async def core_round(lottery: LotteryService, count: int, offset: int) -> float:
    """Information: the same purchases through the use case alone; purchases/s."""
    ids = players()
    start = time.perf_counter()
    for index in range(offset, offset + count):
        await lottery.tickets.buy(ids[index % PLAYERS], 1)
    return count / (time.perf_counter() - start)


# --- the baselines: a bare Application ---------------------------------------------------------------


async def do_nothing(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The cheapest handler there is: what remains is PTB's own dispatch."""


async def only_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A handler that answers and does nothing else: the floor of any command that replies."""
    chat = update.effective_chat
    assert chat is not None
    await chat.send_message("ok")


async def bare_application(
    request: RecordingRequest, handler: Callable[[Update, ContextTypes.DEFAULT_TYPE], Any]
) -> AnyApplication:
    """An initialized Application with one `/buy` handler, no Updater, and no rate limiter."""
    application = (
        ApplicationBuilder().token(TOKEN).request(request).get_updates_request(request).updater(None).build()
    )
    application.add_handler(CommandHandler("buy", handler))
    await application.initialize()
    return application


async def limited_reply_application(request: RecordingRequest) -> AnyApplication:
    """The replying baseline behind the bot's AIORateLimiter, to show what the limiter itself costs."""
    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .request(request)
        .get_updates_request(request)
        .updater(None)
        # Paced as the bot paces: one message per 1/R seconds.
        .rate_limiter(AIORateLimiter(overall_max_rate=1, overall_time_period=1 / LIMITED_RATE, max_retries=2))
        .build()
    )
    application.add_handler(CommandHandler("buy", only_reply))
    await application.initialize()
    return application


async def bare_round(application: AnyApplication, count: int) -> float:
    """`count` updates through a baseline Application; updates per second.

    The updates are bound to that Application's own Bot: a reply goes through the Bot an update
    carries, so updates built for another Application would bypass this one's rate limiter.
    """
    return await drive(application, buy_updates(application.bot, count, 0))


async def limiter_ceiling(application: AnyApplication, count: int) -> float:
    """Replies per second behind a limiter pacing LIMITED_RATE: the ceiling on any replying command."""
    return await drive(application, buy_updates(application.bot, count, 0))


# --- the run -----------------------------------------------------------------------------------------


@dataclass
class Rates:
    """Per-repeat rates of every loop, interleaved so machine noise hits them alike."""

    bot: list[float] = field(default_factory=list)
    core: list[float] = field(default_factory=list)
    noop: list[float] = field(default_factory=list)
    reply: list[float] = field(default_factory=list)
    limited_reply: float = 0.0  # one run: the limiter's steady rate, the same in every repeat


@dataclass
class Baselines:
    """The three bare Applications, each with its own recorder so their calls never mix."""

    noop: AnyApplication
    reply: AnyApplication
    limited_reply: AnyApplication

    def each(self) -> Iterator[AnyApplication]:
        """All three, for warm-up and shutdown."""
        yield from (self.noop, self.reply, self.limited_reply)


async def measure(bot: LotteryBot, request: RecordingRequest, baselines: Baselines) -> Rates:
    """Warm every loop up, then REPEATS interleaved rounds of each."""
    rates = Rates()
    await bot_round(bot, request, WARMUP, 0)
    await core_round(bot.lottery, WARMUP // 4, 0)
    for application in baselines.each():
        await bare_round(application, WARMUP)
    for repeat in range(REPEATS):
        offset = WARMUP + repeat * PURCHASES_PER_REPEAT
        rates.bot.append(await bot_round(bot, request, PURCHASES_PER_REPEAT, offset))
        rates.core.append(await core_round(bot.lottery, CORE_PURCHASES_PER_REPEAT, offset))
        rates.noop.append(await bare_round(baselines.noop, NOOP_UPDATES_PER_REPEAT))
        rates.reply.append(await bare_round(baselines.reply, REPLY_UPDATES_PER_REPEAT))
    rates.limited_reply = await limiter_ceiling(baselines.limited_reply, LIMITED_UPDATES)
    return rates


def credit_needed() -> int:
    """Enough credit for every purchase each player makes in the run, warm-ups included."""
    bot_purchases = WARMUP + REPEATS * PURCHASES_PER_REPEAT
    core_purchases = WARMUP // 4 + REPEATS * CORE_PURCHASES_PER_REPEAT
    return -(-(bot_purchases + core_purchases) // PLAYERS) + 1


async def run_on(path: Path) -> Rates:
    """Build the bot on the migrated file, set the players up, measure, and shut everything down."""
    url = sqlite_url(path)
    settings = bench_settings(url)
    lottery = LotteryService.connect(url, rules=settings.lottery_rules(), clock=FixedClock(NOW))
    await lottery.migrate()
    request = RecordingRequest()
    # A throttle that never refuses: the figure is purchases, not "slow down" replies.
    bot = LotteryBot(settings, lottery, throttle=Throttle(rate=1e6, burst=10**6), request=request)
    await bot.application.initialize()
    baselines = Baselines(
        noop=await bare_application(RecordingRequest(), do_nothing),
        reply=await bare_application(RecordingRequest(), only_reply),
        limited_reply=await limited_reply_application(RecordingRequest()),
    )
    try:
        await prepare_players(bot, request, credit_needed())
        return await measure(bot, request, baselines)
    finally:
        for application in baselines.each():
            await application.shutdown()
        await bot.application.shutdown()
        await lottery.close()


def verdict(rates: Rates) -> list[Outcome]:
    """The goal line against both bare baselines, and the informative lines."""
    bot, core = median(rates.bot), median(rates.core)
    noop, reply, ceiling = median(rates.noop), median(rates.reply), rates.limited_reply
    figure = f"/buy 1 via process_update (median {REPEATS}x{PURCHASES_PER_REPEAT})"
    goal = f">= {GOAL_PER_SECOND:,.0f} /s"
    passed = bot >= GOAL_PER_SECOND
    reply_baseline = f"{spread(rates.reply)} /s reply-only handler"
    measured = f"{spread(rates.bot)} /s"
    return [
        Outcome(figure, measured, f"{spread(rates.noop)} /s no-op handler", bot / noop, goal, passed),
        Outcome(figure, measured, reply_baseline, bot / reply, goal, passed),
        Outcome(
            f"info: reply-only + AIORateLimiter paced at {LIMITED_RATE:,.0f}/s",
            f"{ceiling:,.0f} /s",
            reply_baseline,
            ceiling / reply,
            "(ceiling on replies)",
            None,
        ),
        Outcome(
            "info: tickets.buy alone, same database",
            f"{spread(rates.core)} /s",
            f"{bot:,.0f} /s via the bot",
            bot / core,
            "(bot / core)",
            None,
        ),
    ]


def print_rates(rates: Rates) -> None:
    """Every repeat, so a noisy run shows itself above the medians."""
    for label, values in (
        ("bot /buy 1", rates.bot),
        ("tickets.buy", rates.core),
        ("no-op handler", rates.noop),
        ("reply-only handler", rates.reply),
    ):
        print(f"{label:<22} /s per repeat: {', '.join(f'{rate:,.0f}' for rate in values)}")
    print(f"reply-only + limiter   /s paced at 1,000 msg/s: {rates.limited_reply:,.0f}")


async def run() -> list[Outcome]:
    """One temp database, the measurements, the per-repeat rates, and the verdict."""
    async with temp_database("bot-purchases") as path:
        rates = await run_on(path)
    print_rates(rates)
    return verdict(rates)


def main() -> None:
    """Entry point for `python -m bench.bot_purchases`."""
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the token sits in every URL
    start = time.perf_counter()
    outcomes = asyncio.run(run())
    print_table(
        f"Purchases through the bot: {PLAYERS} players, sequential process_update, SQLite file "
        f"({time.perf_counter() - start:.0f} s)",
        outcomes,
    )


if __name__ == "__main__":
    main()
