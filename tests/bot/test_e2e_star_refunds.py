"""Stars refunds through the real bot and the Bot API emulator: /refund, its buttons, Telegram's answers."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from telegram import Bot

from bot.handlers.guards import Throttle
from bot.telegram_stars import TelegramStars
from core.clock import FixedClock
from core.errors import ProviderUnavailable
from core.reconciliation import REFUND_SETTLES_AFTER
from storage.models import Payment
from tests.bot.harness import ADMIN, BotHarness
from tests.bot.test_e2e_pay_picker import buttons
from tests.bot.test_e2e_stars import balance, invoice, pay, player, pre_checkout
from tests.support.bot_api import BotApiEmulator, SentMessage

pytestmark = pytest.mark.e2e


@pytest.fixture
async def stars(api: BotApiEmulator, database_url: str, bot_clock: FixedClock) -> AsyncIterator[BotHarness]:
    running = BotHarness(
        api,
        None,
        database_url,
        bot_clock,
        payment_provider="stars",
        lottery_timezone="Europe/Berlin",
        payment_call_timeout=0.5,
    )
    await running.start()
    yield running
    await running.stop()


async def paid(harness: BotHarness, user: int, quantity: int, charge_id: str) -> None:
    sent = await invoice(harness, user, quantity)
    assert (await pre_checkout(harness.api, user, sent["payload"], quantity * 10))["ok"] is True
    await pay(harness.api, user, sent["payload"], quantity * 10, charge_id)


async def refund_list(harness: BotHarness, user: int) -> SentMessage:
    harness.api.send_command(user, "/refund")
    return await harness.api.wait_for_message(user)


async def status(harness: BotHarness, charge_id: str) -> str:
    async with harness.lottery.context.db.snapshot() as uow:
        payment = (await uow.session.scalars(select(Payment).where(Payment.charge_id == charge_id))).one()
    return payment.status


async def test_an_unused_payment_goes_back_whole(stars: BotHarness, api: BotApiEmulator) -> None:
    await player(stars, 1)
    await paid(stars, 1, 1, "stxOLD")
    await paid(stars, 1, 2, "stxNEW")
    listed = await refund_list(stars, 1)
    choices = buttons(listed)
    # Newest first, each naming the payment, its amount and the time on the lottery's clock
    # (the test clock says 12:00 UTC, which is 14:00 in Berlin in May).
    assert [data for _, data in choices] == ["refund:2", "refund:1"]
    assert choices[0][0].startswith("#2: ⭐ 20, paid")
    assert "14:00" in choices[0][0]
    assert "#1: ⭐ 10" in choices[1][0]

    api.press_button(1, "refund:2", message_id=listed["message_id"])
    done = await api.wait_for_message(1, lambda text: "Refunded payment #2" in text)
    assert "Your credit is now ⭐ 10" in done["text"]
    call = api.calls_of("refundStarPayment")[0]
    assert (call["user_id"], call["telegram_payment_charge_id"]) == (1, "stxNEW")
    assert "stxNEW" in api.refunded_charges
    assert await balance(stars, 1) == 10
    assert await status(stars, "stxNEW") == "refunded"
    # The used buttons are gone from the list's message.
    [edit] = api.calls_of("editMessageReplyMarkup")
    assert (edit["chat_id"], edit["message_id"]) == (1, listed["message_id"])
    assert not edit.get("reply_markup")

    # A second press of the same (stale) button refunds nothing more.
    api.press_button(1, "refund:2", message_id=listed["message_id"])
    again = await api.wait_for_message(1, lambda text: "cannot be refunded" in text)
    assert "refunded already" in again["text"]
    assert len(api.calls_of("refundStarPayment")) == 1
    assert await balance(stars, 1) == 10
    assert "refund" in (await stars.say(1, "/history")).lower()


async def test_a_spent_payment_is_refused_plainly(stars: BotHarness, api: BotApiEmulator) -> None:
    await player(stars, 1)
    await paid(stars, 1, 2, "stxSPENT")
    listed = await refund_list(stars, 1)
    assert buttons(listed) == [("#1: ⭐ 20, paid May 1, 2024 at 14:00", "refund:1")]
    assert "#1" in await stars.say(1, "/buy 1")
    nothing = await refund_list(stars, 1)
    assert "spent" in nothing["text"]
    assert buttons(nothing) == []
    # The old button is still on screen; pressing it now is refused and changes nothing.
    api.press_button(1, "refund:1", message_id=listed["message_id"])
    refused = await api.wait_for_message(1, lambda text: "cannot be refunded" in text)
    assert "spent on ballots" in refused["text"]
    assert "⭐ 10" in refused["text"]
    assert api.calls_of("refundStarPayment") == []
    assert await balance(stars, 1) == 10
    assert await status(stars, "stxSPENT") == "credited"


async def test_telegram_failing_for_a_moment_is_retried(stars: BotHarness, api: BotApiEmulator) -> None:
    await player(stars, 1)
    await paid(stars, 1, 1, "stxRETRY")
    api.fail_next("refundStarPayment", 502)
    api.fail_next("refundStarPayment", 429, retry_after=1)
    listed = await refund_list(stars, 1)
    api.press_button(1, "refund:1", message_id=listed["message_id"])
    await api.wait_for_message(1, lambda text: "Refunded payment #1" in text)
    assert len(api.calls_of("refundStarPayment")) == 3
    assert "stxRETRY" in api.refunded_charges
    assert await balance(stars, 1) == 0


async def test_telegram_unreachable_changes_nothing(api: BotApiEmulator) -> None:
    """A refused connection never reached Telegram: the refund surely did not happen."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    bot = Bot(api.token, base_url=f"http://127.0.0.1:{port}/bot")
    with pytest.raises(ProviderUnavailable):
        await TelegramStars(bot, backoff=0.01).refund_star_payment(user_id=1, charge_id="stxDOWN")
    await bot.shutdown()


async def test_telegram_failing_after_the_refund_was_made_is_not_undone(
    stars: BotHarness, api: BotApiEmulator, bot_clock: FixedClock
) -> None:
    """Telegram refunds, then every answer comes back a 502: the bot cannot know, so the credit
    stays set aside (never given back to spend: that would pay twice) until Telegram's books say."""
    await player(stars, 1)
    await paid(stars, 1, 1, "stxAMBIG")
    api.fail_after_doing("refundStarPayment", 502)
    api.fail_next("refundStarPayment", 502, times=2)
    listed = await refund_list(stars, 1)
    api.press_button(1, "refund:1", message_id=listed["message_id"])
    answer = await api.wait_for_message(1)
    assert "not confirmed" in answer["text"]
    assert "stxAMBIG" in api.refunded_charges
    assert len(api.calls_of("refundStarPayment")) == 3
    assert await status(stars, "stxAMBIG") == "refunding"
    assert await balance(stars, 1) == 0
    bot_clock.advance(REFUND_SETTLES_AFTER + dt.timedelta(seconds=1))
    assert "Pending refunds confirmed: #1" in await stars.say(ADMIN, "/reconcile")
    assert await status(stars, "stxAMBIG") == "refunded"
    assert await balance(stars, 1) == 0


async def test_a_retry_after_a_502_finds_the_refund_made(stars: BotHarness, api: BotApiEmulator) -> None:
    await player(stars, 1)
    await paid(stars, 1, 1, "stxDONE")
    api.fail_after_doing("refundStarPayment", 502)
    listed = await refund_list(stars, 1)
    api.press_button(1, "refund:1", message_id=listed["message_id"])
    await api.wait_for_message(1, lambda text: "Refunded payment #1" in text)
    assert len(api.calls_of("refundStarPayment")) == 2  # the second answered CHARGE_ALREADY_REFUNDED
    assert await status(stars, "stxDONE") == "refunded"
    assert await balance(stars, 1) == 0


async def test_telegram_down_then_reconciliation_gives_the_credit_back(
    stars: BotHarness, api: BotApiEmulator, bot_clock: FixedClock
) -> None:
    """5xx on every try, and Telegram did nothing: set aside first, then given back by its books."""
    await player(stars, 1)
    await paid(stars, 1, 1, "stxDOWN")
    api.fail_next("refundStarPayment", 500, times=3)
    listed = await refund_list(stars, 1)
    api.press_button(1, "refund:1", message_id=listed["message_id"])
    await api.wait_for_message(1, lambda text: "not confirmed" in text)
    assert "stxDOWN" not in api.refunded_charges
    assert await balance(stars, 1) == 0
    bot_clock.advance(REFUND_SETTLES_AFTER + dt.timedelta(seconds=1))
    assert "credit given back: #1" in await stars.say(ADMIN, "/reconcile")
    assert await status(stars, "stxDOWN") == "credited"
    assert await balance(stars, 1) == 10
    assert buttons(await refund_list(stars, 1)) != []  # refundable again


async def test_telegram_refusing_a_refund_is_told_plainly(
    stars: BotHarness, api: BotApiEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    """A 400 other than "refunded already": the credit comes back, the player reads a translated
    reply naming no Telegram jargon, and Telegram's words go to the log."""
    await player(stars, 1)
    await paid(stars, 1, 1, "stxREF")
    api.fail_next("refundStarPayment", 400, description="Bad Request: CHARGE_ID_INVALID")
    listed = await refund_list(stars, 1)
    api.press_button(1, "refund:1", message_id=listed["message_id"])
    answer = (await api.wait_for_message(1))["text"]
    assert "Telegram refused this refund, so nothing was refunded" in answer
    assert "charge_id_invalid" not in answer.lower()
    assert "Nothing was charged" not in answer
    logged = [r.getMessage().upper() for r in caplog.records if r.levelname == "ERROR"]
    assert any("CHARGE_ID_INVALID" in message for message in logged)
    assert await status(stars, "stxREF") == "credited"
    assert await balance(stars, 1) == 10
    assert len(api.calls_of("refundStarPayment")) == 1  # a refusal is not retried


async def test_a_refused_refund_is_told_in_russian(stars: BotHarness, api: BotApiEmulator) -> None:
    await stars.say(1, "/start", first_name="P1", language_code="ru")
    await stars.say(1, "/join", language_code="ru")
    await paid(stars, 1, 1, "stxRU")
    api.fail_next("refundStarPayment", 400, description="Bad Request: CHARGE_ID_INVALID")
    api.send_command(1, "/refund", language_code="ru")
    listed = await api.wait_for_message(1)
    api.press_button(1, "refund:1", message_id=listed["message_id"], language_code="ru")
    answer = (await api.wait_for_message(1))["text"]
    assert "Telegram отказал в возврате" in answer


async def test_already_refunded_counts_as_done(stars: BotHarness, api: BotApiEmulator) -> None:
    """Refunded by Telegram already (a lost answer, support, another process): the refund is booked."""
    await player(stars, 1)
    await paid(stars, 1, 1, "stxTWICE")
    api.refunded_charges.add("stxTWICE")
    listed = await refund_list(stars, 1)
    api.press_button(1, "refund:1", message_id=listed["message_id"])
    await api.wait_for_message(1, lambda text: "Refunded payment #1" in text)
    assert await status(stars, "stxTWICE") == "refunded"
    assert await balance(stars, 1) == 0


async def test_a_timed_out_refund_stays_set_aside(stars: BotHarness, api: BotApiEmulator) -> None:
    await player(stars, 1)
    await paid(stars, 1, 1, "stxLOST")
    api.set_delay("refundStarPayment", 2)  # every try outlasts the bot's 0.5 s
    listed = await refund_list(stars, 1)
    api.press_button(1, "refund:1", message_id=listed["message_id"])
    answer = await api.wait_for_message(1, lambda text: "not confirmed" in text)
    assert "set aside" in answer["text"]
    assert await status(stars, "stxLOST") == "refunding"
    assert await balance(stars, 1) == 0
    assert "Not enough credit" in await stars.say(1, "/buy 1")


async def test_a_refund_notice_is_booked_even_when_the_player_is_slowed_down(
    api: BotApiEmulator, database_url: str, bot_clock: FixedClock
) -> None:
    """Telegram's refunded_payment is no command: the flood guard lets it through like a payment."""
    harness = BotHarness(
        api, None, database_url, bot_clock, throttle=Throttle(rate=0.0001, burst=4), payment_provider="stars"
    )
    await harness.start()
    try:
        await player(harness, 1)
        await paid(harness, 1, 1, "stxSUP")
        await harness.say(1, "/me")
        assert "Easy there" in await harness.say(1, "/me")  # the bucket is empty now
        api.refund_outside_the_bot("stxSUP")
        api.send_refunded_payment(1, charge_id="stxSUP")
        await api.wait_for_message(1, lambda text: "Telegram refunded your payment" in text)
        assert await status(harness, "stxSUP") == "refunded"
        assert await balance(harness, 1) == 0
    finally:
        await harness.stop()
