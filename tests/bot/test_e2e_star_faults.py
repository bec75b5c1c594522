"""Stars payments that do not go as planned: wrong amounts, payers who are no players, Telegram's own
refund notices, Telegram failing, and a picker tapped twice."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from core.clock import FixedClock
from tests.bot.harness import ADMIN, BotHarness
from tests.bot.test_e2e_pay_picker import buttons
from tests.bot.test_e2e_star_refunds import paid, status
from tests.bot.test_e2e_stars import balance, invoice, pay, payments, player, pre_checkout
from tests.support.bot_api import BotApiEmulator

pytestmark = pytest.mark.e2e


@pytest.fixture
async def stars(api: BotApiEmulator, database_url: str, bot_clock: FixedClock) -> AsyncIterator[BotHarness]:
    running = BotHarness(api, None, database_url, bot_clock, payment_provider="stars")
    await running.start()
    yield running
    await running.stop()


async def orphans(harness: BotHarness, charge_id: str) -> bool:
    async with harness.lottery.context.db.snapshot() as uow:
        return await uow.payments.orphan(charge_id) is not None


async def test_a_payment_unlike_its_order_is_booked_as_paid_and_flagged(
    stars: BotHarness, api: BotApiEmulator
) -> None:
    await player(stars, 1)
    sent = await invoice(stars, 1, 3)
    answer = await pay(api, 1, sent["payload"], 20, "stxODD")
    assert "Payment received: ⭐ 20" in answer["text"]
    assert await balance(stars, 1) == 20  # never more than was paid
    alert = await api.wait_for_message(ADMIN, lambda text: "stxODD" in text)
    assert "not what its order asked" in alert["text"]
    assert "⭐ 20" in alert["text"]
    # The same payment redelivered books nothing and flags nothing again.
    api.send_successful_payment(1, payload=sent["payload"], total_amount=20, charge_id="stxODD")
    await api.wait_for_message(1, lambda text: "ayment" in text)
    await api.assert_no_message(ADMIN)
    assert await balance(stars, 1) == 20


async def test_a_payment_from_a_deleted_player_is_kept_not_lost(
    stars: BotHarness, api: BotApiEmulator
) -> None:
    await player(stars, 1)
    sent = await invoice(stars, 1, 1)
    assert (await pre_checkout(api, 1, sent["payload"], 10))["ok"] is True
    await stars.say(1, "/deleteme")
    await stars.lottery.players.delete(1)  # whatever /deleteme asks first, the player is gone now
    api.send_successful_payment(1, payload=sent["payload"], total_amount=10, charge_id="stxGONE")
    told = await api.wait_for_message(1, lambda text: "kept on record" in text)
    assert "⭐ 10" in told["text"]
    alert = await api.wait_for_message(ADMIN, lambda text: "stxGONE" in text)
    assert "orphan" in alert["text"]
    assert await orphans(stars, "stxGONE")
    assert await payments(stars) == 0
    api.send_successful_payment(1, payload=sent["payload"], total_amount=10, charge_id="stxGONE")
    await api.wait_for_message(1, lambda text: "kept on record" in text)
    await api.assert_no_message(ADMIN)  # one alert per payment
    # The payer comes back and the same payment is delivered again (say, after a crash): it stays an
    # orphan, which admins may refund by its charge id, and is never credited as well.
    await stars.say(1, "/start")
    api.send_successful_payment(1, payload=sent["payload"], total_amount=10, charge_id="stxGONE")
    await api.wait_for_message(1, lambda text: "kept on record" in text)
    assert await payments(stars) == 0
    assert await balance(stars, 1) == 0


async def test_a_refund_made_by_telegrams_support_is_booked_from_its_notice(
    stars: BotHarness, api: BotApiEmulator
) -> None:
    await player(stars, 1)
    await paid(stars, 1, 2, "stxSUPPORT")
    api.refund_outside_the_bot("stxSUPPORT")
    api.send_refunded_payment(1, charge_id="stxSUPPORT")
    told = await api.wait_for_message(1, lambda text: "Telegram refunded" in text)
    assert "⭐ 20" in told["text"]
    assert await balance(stars, 1) == 0
    assert await status(stars, "stxSUPPORT") == "refunded"
    api.send_refunded_payment(1, charge_id="stxSUPPORT")  # a notice twice takes the credit once
    await api.assert_no_message(1)
    assert await balance(stars, 1) == 0


async def test_the_notice_of_the_bots_own_refund_changes_nothing(
    stars: BotHarness, api: BotApiEmulator
) -> None:
    await player(stars, 1)
    await paid(stars, 1, 1, "stxOWN")
    await paid(stars, 1, 1, "stxKEEP")
    receipt = await stars.lottery.wallet.refund(1, 1)
    assert receipt.balance == 10
    api.send_refunded_payment(1, charge_id="stxOWN")
    await api.assert_no_message(1)  # no plain-text fallback either
    await api.assert_no_message(ADMIN)
    assert await balance(stars, 1) == 10


async def test_a_refund_notice_the_books_cannot_follow_goes_to_admins(
    stars: BotHarness, api: BotApiEmulator
) -> None:
    await player(stars, 1)
    await paid(stars, 1, 2, "stxSPENT")
    await stars.say(1, "/buy 1")
    api.refund_outside_the_bot("stxSPENT")
    api.send_refunded_payment(1, charge_id="stxSPENT")
    alert = await api.wait_for_message(ADMIN, lambda text: "stxSPENT" in text)
    assert "cannot follow" in alert["text"]
    assert await balance(stars, 1) == 10
    await api.assert_no_message(1)


async def test_telegram_failing_on_the_invoice_changes_nothing(
    stars: BotHarness, api: BotApiEmulator
) -> None:
    await player(stars, 1)
    api.fail_next("sendInvoice", 502)
    answer = await stars.say(1, "/pay 1")
    assert "not answering" in answer
    assert "Nothing was changed" in answer
    assert await balance(stars, 1) == 0


async def test_telegram_refusing_the_invoice_is_not_called_unavailable(
    stars: BotHarness, api: BotApiEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    """A 400 is the bot's own mistake (a bad provider token): no retry helps, so the player is not
    told to try later, Telegram's words go to the log at error level, and nothing changes."""
    await player(stars, 1)
    api.fail_next("sendInvoice", 400, description="Bad Request: PAYMENT_PROVIDER_INVALID")
    answer = await stars.say(1, "/pay 1")
    assert "Telegram refused to make the invoice" in answer
    assert "nothing was charged" in answer
    assert "not answering" not in answer
    assert "PAYMENT_PROVIDER_INVALID" not in answer
    logged = [r.getMessage().upper() for r in caplog.records if r.levelname == "ERROR"]
    assert any("PAYMENT_PROVIDER_INVALID" in message for message in logged)
    assert await balance(stars, 1) == 0


async def test_telegram_refusing_the_pre_checkout_answer_is_explained(
    stars: BotHarness, api: BotApiEmulator
) -> None:
    """A 400 (the query expired) means Telegram did not take the yes: nothing was charged."""
    await player(stars, 1)
    sent = await invoice(stars, 1, 1)
    api.fail_next("answerPreCheckoutQuery", 400, description="Bad Request: query is too old")
    api.send_pre_checkout_query(1, payload=sent["payload"], total_amount=10)
    await api.wait_for_call("answerPreCheckoutQuery")  # the one that failed
    told = await api.wait_for_message(1, lambda text: "nothing was charged" in text)
    assert "pay the invoice again" in told["text"]
    assert await balance(stars, 1) == 0
    assert (await pre_checkout(api, 1, sent["payload"], 10))["ok"] is True  # the next try works


@pytest.mark.parametrize("fault", ["500", "timeout"])
async def test_a_pre_checkout_answer_of_unknown_fate_promises_nothing(
    stars: BotHarness, api: BotApiEmulator, fault: str
) -> None:
    """A 5xx or a timeout may come after Telegram took the yes, and then the payment goes through:
    the player is not told that nothing was charged, and a payment that arrives is credited."""
    await player(stars, 1)
    sent = await invoice(stars, 1, 1)
    if fault == "500":
        api.fail_next("answerPreCheckoutQuery", 500)
    else:
        api.lose_next_response("answerPreCheckoutQuery", seconds=7)  # longer than PTB's 5 s
    query = str(api.send_pre_checkout_query(1, payload=sent["payload"], total_amount=10))
    told = await api.wait_for_message(1, lambda text: "may not have received" in text, timeout=15)
    assert "If no confirmation comes" in told["text"]
    assert not [m for m in api.sent_messages(1) if "did not take" in m["text"]]
    if fault == "timeout":
        assert api.pre_checkout_answers[query]["ok"] is True  # Telegram took it after all
        assert "Payment received" in (await pay(api, 1, sent["payload"], 10, "stxLATE"))["text"]
        assert await balance(stars, 1) == 10


async def test_a_used_picker_does_not_pay_again(harness: BotHarness, api: BotApiEmulator) -> None:
    """With the dummy provider a tap pays at once, so a second tap on the same picker must not."""
    await harness.say(1, "/start")
    await harness.say(1, "/join")
    api.send_command(1, "/pay")
    picker = await api.wait_for_message(1)
    first = await harness.press(1, "pay:5", message_id=picker["message_id"])
    assert "50" in first["text"]
    again = await harness.press(1, "pay:5", message_id=picker["message_id"])
    assert "used already" in again["text"]
    assert (await harness.lottery.wallet.history(1)).balance == 50
    assert api.calls_of("editMessageReplyMarkup")[0]["message_id"] == picker["message_id"]


async def test_an_admin_gives_an_orphan_payment_back(stars: BotHarness, api: BotApiEmulator) -> None:
    api.send_successful_payment(5, payload="never-an-order", total_amount=30, charge_id="stxSTRANGER")
    await api.wait_for_message(5, lambda text: "kept on record" in text)
    await api.wait_for_message(ADMIN, lambda text: "stxSTRANGER" in text)
    api.send_command(ADMIN, "/refund stxSTRANGER")
    question = await api.wait_for_message(ADMIN, lambda text: "Orphan payment stxSTRANGER" in text)
    assert "⭐ 30 from user 5" in question["text"]
    [(label, data)] = buttons(question)
    assert label == "Refund ⭐ 30"
    api.press_button(ADMIN, data, message_id=question["message_id"])
    await api.wait_for_message(ADMIN, lambda text: "went back to its payer" in text)
    call = api.calls_of("refundStarPayment")[0]
    assert (call["user_id"], call["telegram_payment_charge_id"]) == (5, "stxSTRANGER")
    assert "stxSTRANGER" in api.refunded_charges
    again = await stars.say(ADMIN, "/refund stxSTRANGER")
    assert again == "Orphan payment stxSTRANGER (⭐ 30) was refunded already."
    async with stars.lottery.context.db.snapshot() as uow:
        orphan = await uow.payments.orphan("stxSTRANGER")
    assert orphan is not None
    assert orphan.refunded_at is not None
    assert await payments(stars) == 0
