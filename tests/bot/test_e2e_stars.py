"""Telegram Stars through the real bot and the Bot API emulator: invoice, pre-checkout, payment, /buy."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.handlers.guards import Throttle
from core.clock import FixedClock
from storage.models import Payment
from tests.bot.harness import BotHarness
from tests.bot.test_e2e_pay_picker import buttons
from tests.support.bot_api import BotApiEmulator, SentMessage

pytestmark = pytest.mark.e2e


@pytest.fixture
async def stars(api: BotApiEmulator, database_url: str, bot_clock: FixedClock) -> AsyncIterator[BotHarness]:
    running = BotHarness(api, None, database_url, bot_clock, payment_provider="stars")
    await running.start()
    yield running
    await running.stop()


async def player(harness: BotHarness, user: int) -> None:
    await harness.say(user, "/start", first_name=f"P{user}")
    await harness.say(user, "/join")


async def invoice(harness: BotHarness, user: int, quantity: int) -> dict[str, Any]:
    harness.api.send_command(user, f"/pay {quantity}")
    return await harness.api.wait_for_call("sendInvoice")


async def pre_checkout(api: BotApiEmulator, user: int, payload: str, amount: int) -> dict[str, Any]:
    query_id = str(api.send_pre_checkout_query(user, payload=payload, total_amount=amount))
    await api.wait_for_call("answerPreCheckoutQuery")
    return api.pre_checkout_answers[query_id]


async def pay(api: BotApiEmulator, user: int, payload: str, amount: int, charge_id: str) -> SentMessage:
    api.send_successful_payment(user, payload=payload, total_amount=amount, charge_id=charge_id)
    # The draw's own notice may come first; the answer to a payment speaks of the payment (in English
    # or, for a player who speaks it, in Russian).
    return await api.wait_for_message(user, lambda text: "ayment" in text or "латёж" in text)


async def balance(harness: BotHarness, user: int) -> int:
    return (await harness.lottery.wallet.history(user)).balance


async def payments(harness: BotHarness) -> int:
    async with harness.lottery.context.db.snapshot() as uow:
        return int((await uow.session.execute(select(func.count()).select_from(Payment))).scalar_one())


async def test_invoice_pre_checkout_payment_then_a_ballot(stars: BotHarness, api: BotApiEmulator) -> None:
    await player(stars, 1)
    sent = await invoice(stars, 1, 3)
    assert sent["currency"] == "XTR"
    assert [price["amount"] for price in sent["prices"]] == [30]
    assert "provider_token" not in sent
    assert 1 <= len(sent["payload"].encode()) <= 128
    # The invoice is only a question: nothing is credited until Telegram says paid.
    assert "Not enough credit" in await stars.say(1, "/buy 1")

    answer = await pre_checkout(api, 1, sent["payload"], 30)
    assert answer["ok"] is True
    assert await balance(stars, 1) == 0

    paid = await pay(api, 1, sent["payload"], 30, "stxONE")
    assert "Payment received: ⭐ 30" in paid["text"]
    assert "enough for 3 ballots" in paid["text"]
    assert ("Buy 1", "buy:2024-05-01:1") in buttons(paid)
    assert ("Buy 3", "buy:2024-05-01:3") in buttons(paid)
    assert "#1" in await stars.say(1, "/buy 1")


async def test_the_picker_sends_an_invoice_for_its_choice(stars: BotHarness, api: BotApiEmulator) -> None:
    await player(stars, 1)
    api.send_command(1, "/pay")
    picker = await api.wait_for_message(1)
    api.press_button(1, "pay:5", message_id=picker["message_id"])
    sent = await api.wait_for_call("sendInvoice")
    assert [price["amount"] for price in sent["prices"]] == [50]
    assert await balance(stars, 1) == 0


async def test_a_redelivered_payment_credits_once(stars: BotHarness, api: BotApiEmulator) -> None:
    await player(stars, 1)
    sent = await invoice(stars, 1, 2)
    assert (await pre_checkout(api, 1, sent["payload"], 20))["ok"] is True
    assert "Payment received" in (await pay(api, 1, sent["payload"], 20, "stxTWICE"))["text"]
    assert "already credited" in (await pay(api, 1, sent["payload"], 20, "stxTWICE"))["text"]
    assert await balance(stars, 1) == 20
    assert await payments(stars) == 1


async def test_forged_and_foreign_orders_are_refused(stars: BotHarness, api: BotApiEmulator) -> None:
    await player(stars, 1)
    await player(stars, 2)
    sent = await invoice(stars, 1, 3)

    forged = await pre_checkout(api, 1, "forged-payload", 30)
    assert forged["ok"] is False
    assert "not one of your orders" in forged["error_message"]
    foreign = await pre_checkout(api, 2, sent["payload"], 30)
    assert foreign["ok"] is False
    assert "not one of your orders" in foreign["error_message"]
    cheaper = await pre_checkout(api, 1, sent["payload"], 10)
    assert cheaper["ok"] is False
    assert "price has changed" in cheaper["error_message"]

    assert (await balance(stars, 1), await balance(stars, 2), await payments(stars)) == (0, 0, 0)
    assert "Not enough credit" in await stars.say(2, "/buy 1")


async def test_a_pre_checkout_after_the_draw_points_to_the_next_lottery(
    stars: BotHarness, api: BotApiEmulator
) -> None:
    await player(stars, 1)
    sent = await invoice(stars, 1, 1)
    await stars.close_now()
    answer = await pre_checkout(api, 1, sent["payload"], 10)
    assert answer["ok"] is False
    assert "Send /pay again for the next lottery" in answer["error_message"]
    assert await balance(stars, 1) == 0


async def test_a_payment_landing_after_the_close_is_kept_as_credit(
    stars: BotHarness, api: BotApiEmulator
) -> None:
    await player(stars, 1)
    sent = await invoice(stars, 1, 2)
    assert (await pre_checkout(api, 1, sent["payload"], 20))["ok"] is True
    await stars.close_now()

    paid = await pay(api, 1, sent["payload"], 20, "stxLATE")
    assert "counts for the next lottery" in paid["text"]
    assert await balance(stars, 1) == 20

    stars.advance(dt.timedelta(days=1))
    # The draw's notice arrives whenever delivery sends it, so wait for each answer by what it says.
    api.send_command(1, "/join")
    await api.wait_for_message(1, lambda text: "You're in" in text)
    api.send_command(1, "/buy 2")
    bought = await api.wait_for_message(1, lambda text: "You bought" in text)
    assert "#1" in bought["text"]
    assert "May 2, 2024" in bought["text"]


async def test_a_short_payment_credits_only_what_was_paid(stars: BotHarness, api: BotApiEmulator) -> None:
    await player(stars, 1)
    sent = await invoice(stars, 1, 3)
    assert (await pre_checkout(api, 1, sent["payload"], 30))["ok"] is True
    paid = await pay(api, 1, sent["payload"], 20, "stxSHORT")
    assert "Payment received: ⭐ 20" in paid["text"]
    assert await balance(stars, 1) == 20
    assert "Not enough credit" in await stars.say(1, "/buy 3")


async def test_a_restart_between_pre_checkout_and_payment_loses_nothing(
    stars: BotHarness, api: BotApiEmulator
) -> None:
    await player(stars, 1)
    sent = await invoice(stars, 1, 1)
    assert (await pre_checkout(api, 1, sent["payload"], 10))["ok"] is True
    await stars.restart()
    paid = await pay(api, 1, sent["payload"], 10, "stxRESTART")
    assert "Payment received: ⭐ 10" in paid["text"]
    assert "#1" in await stars.say(1, "/buy 1")


async def test_a_failed_invoice_gets_an_apology_and_moves_no_money(
    stars: BotHarness, api: BotApiEmulator
) -> None:
    await player(stars, 1)
    api.fail_next("sendInvoice", 500)
    assert "Nothing was changed" in await stars.say(1, "/pay 2")
    failed = await api.wait_for_call("sendInvoice")
    assert await balance(stars, 1) == 0
    sent = await invoice(stars, 1, 2)  # the next try works
    assert sent["payload"] != failed["payload"]
    assert (await pre_checkout(api, 1, sent["payload"], 20))["ok"] is True


async def test_a_deleted_player_cannot_pay_an_old_invoice(stars: BotHarness, api: BotApiEmulator) -> None:
    await player(stars, 1)
    sent = await invoice(stars, 1, 1)
    await stars.lottery.players.delete(1)
    answer = await pre_checkout(api, 1, sent["payload"], 10)
    assert answer["ok"] is False
    assert "not registered" in answer["error_message"]


async def test_payments_are_never_throttled(
    api: BotApiEmulator, database_url: str, bot_clock: FixedClock
) -> None:
    """A player who used up their commands still gets their pre-checkout answered and payment booked."""
    harness = BotHarness(
        api, None, database_url, bot_clock, throttle=Throttle(rate=0.0001, burst=3), payment_provider="stars"
    )
    await harness.start()
    try:
        await player(harness, 1)
        sent = await invoice(harness, 1, 1)
        assert "Easy there" in await harness.say(1, "/me")
        assert (await pre_checkout(api, 1, sent["payload"], 10))["ok"] is True
        assert "Payment received: ⭐ 10" in (await pay(api, 1, sent["payload"], 10, "stxBUSY"))["text"]
        assert await balance(harness, 1) == 10
    finally:
        await harness.stop()
