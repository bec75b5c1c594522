"""Reconciliation through the real bot: /reconcile, the periodic job, and what admins are told."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest

from core.clock import FixedClock
from core.reconciliation import REFUND_SETTLES_AFTER
from tests.bot.harness import ADMIN, BotHarness
from tests.bot.test_e2e_pay_picker import buttons
from tests.bot.test_e2e_star_refunds import paid, refund_list, status
from tests.bot.test_e2e_stars import balance, invoice, player
from tests.support.bot_api import BotApiEmulator

pytestmark = pytest.mark.e2e


@pytest.fixture
async def stars(api: BotApiEmulator, database_url: str, bot_clock: FixedClock) -> AsyncIterator[BotHarness]:
    running = BotHarness(
        api, None, database_url, bot_clock, payment_provider="stars", payment_call_timeout=0.5
    )
    await running.start()
    yield running
    await running.stop()


async def test_a_payment_whose_update_was_lost_is_booked_by_reconcile(
    stars: BotHarness, api: BotApiEmulator
) -> None:
    await player(stars, 1)
    sent = await invoice(stars, 1, 2)
    api.charge_without_update(1, payload=sent["payload"], total_amount=20, charge_id="stxMISSED")
    assert await balance(stars, 1) == 0
    report = await stars.say(ADMIN, "/reconcile")
    assert "1 transaction read from Telegram" in report
    assert "Missed payments booked: stxMISSED" in report
    assert await balance(stars, 1) == 20
    assert "#1" in await stars.say(1, "/buy 1")
    again = await stars.say(ADMIN, "/reconcile")
    assert "Nothing to change, nothing unexplained." in again
    assert await balance(stars, 1) == 10


async def test_a_timed_out_refund_is_settled_by_reconcile(
    stars: BotHarness, api: BotApiEmulator, bot_clock: FixedClock
) -> None:
    await player(stars, 1)
    await paid(stars, 1, 1, "stxLOST")
    api.set_delay("refundStarPayment", 1)  # every try outlasts the bot's 0.5 s; Telegram does refund
    listed = await refund_list(stars, 1)
    api.press_button(1, "refund:1", message_id=listed["message_id"])
    await api.wait_for_message(1, lambda text: "not confirmed" in text)
    assert await status(stars, "stxLOST") == "refunding"
    young = await stars.say(ADMIN, "/reconcile")
    assert "too recent to judge, left for the next run: 1" in young
    bot_clock.advance(REFUND_SETTLES_AFTER + dt.timedelta(seconds=1))
    report = await stars.say(ADMIN, "/reconcile")
    assert "Pending refunds confirmed: #1" in report
    assert await status(stars, "stxLOST") == "refunded"
    assert await balance(stars, 1) == 0


async def test_the_periodic_job_reports_to_admins_only_when_something_changed(
    api: BotApiEmulator, database_url: str, bot_clock: FixedClock
) -> None:
    harness = BotHarness(
        api, None, database_url, bot_clock, payment_provider="stars", reconcile_interval_seconds=0.5
    )
    await harness.start()
    try:
        await player(harness, 1)
        sent = await invoice(harness, 1, 1)
        api.charge_without_update(1, payload=sent["payload"], total_amount=10, charge_id="stxJOB")
        report = await api.wait_for_message(ADMIN, lambda text: "stxJOB" in text)
        assert "Missed payments booked: stxJOB" in report["text"]
        assert await balance(harness, 1) == 10
        await api.assert_no_message(ADMIN, wait=1.5)  # later runs change nothing: no report
    finally:
        await harness.stop()


async def test_reconcile_is_for_admins(stars: BotHarness) -> None:
    await player(stars, 1)
    assert "for the lottery's admins" in await stars.say(1, "/reconcile")


async def test_a_dummy_provider_has_nothing_to_reconcile(harness: BotHarness) -> None:
    assert "nothing to reconcile" in await harness.say(ADMIN, "/reconcile")


async def test_an_admin_refunds_any_charge_after_confirming(stars: BotHarness, api: BotApiEmulator) -> None:
    await player(stars, 1)
    await paid(stars, 1, 2, "stxADMIN")
    assert "No payment with the charge id nope" in await stars.say(ADMIN, "/refund nope")
    api.send_command(ADMIN, "/refund stxADMIN")
    question = await api.wait_for_message(ADMIN)
    assert "Payment #1 (stxADMIN): ⭐ 20 from user 1" in question["text"]
    assert buttons(question) == [("Refund ⭐ 20", "adminrefund:1")]
    assert api.calls_of("refundStarPayment") == []  # nothing moves before the confirmation
    # A player pressing a forwarded copy of the button is refused, and nothing moves.
    update_id = api.press_button(1, "adminrefund:1", message_id=question["message_id"])
    await api.wait_for_call("answerCallbackQuery")
    assert "admins" in api.answered_callback_queries[str(update_id)]["text"]
    assert api.calls_of("refundStarPayment") == []
    api.press_button(ADMIN, "adminrefund:1", message_id=question["message_id"])
    done = await api.wait_for_message(ADMIN, lambda text: "Refunded payment #1" in text)
    assert "⭐ 20 went back to its payer" in done["text"]
    assert "stxADMIN" in api.refunded_charges
    assert await balance(stars, 1) == 0


async def test_the_first_periodic_run_comes_within_five_minutes_of_startup(stars: BotHarness) -> None:
    assert stars.bot is not None
    job_queue = stars.bot.application.job_queue
    assert job_queue is not None
    [job] = job_queue.get_jobs_by_name("reconciliation")
    assert job.next_t is not None
    wait = job.next_t - dt.datetime.now(dt.UTC)
    assert dt.timedelta(seconds=290) < wait <= dt.timedelta(seconds=300)
    assert job.job.trigger.interval == dt.timedelta(days=1)  # then daily, by default


async def test_telegram_failing_to_list_changes_nothing(stars: BotHarness, api: BotApiEmulator) -> None:
    await player(stars, 1)
    sent = await invoice(stars, 1, 1)
    api.charge_without_update(1, payload=sent["payload"], total_amount=10, charge_id="stxLATER")
    api.fail_next("getStarTransactions", 502)
    answer = await stars.say(ADMIN, "/reconcile")
    assert "not answering" in answer
    assert "Nothing was changed" in answer
    assert await balance(stars, 1) == 0
    assert "Missed payments booked: stxLATER" in await stars.say(ADMIN, "/reconcile")


async def test_withdrawals_ads_and_other_star_transactions_are_not_the_lotterys(
    stars: BotHarness, api: BotApiEmulator
) -> None:
    """The bot's Star books also hold the owner's withdrawals, ads and non-invoice transfers: read,
    counted, and neither booked nor reported as unexplained, however often reconciliation runs."""
    await player(stars, 1)
    await paid(stars, 1, 1, "stxP")
    api.withdraw_stars(1000)
    api.withdraw_stars(500, state="failed")  # two lines: out to Fragment, and back from it
    api.withdraw_stars(300, state="pending")
    api.pay_telegram_ads(200)
    api.user_transaction(1, transaction_type="paid_media_payment", amount=5, incoming=True)
    api.user_transaction(1, transaction_type="business_account_transfer", amount=7, incoming=False)
    for _ in range(2):
        report = await stars.say(ADMIN, "/reconcile")
        assert "8 transactions read from Telegram" in report
        assert "Nothing to change, nothing unexplained." in report
    assert await balance(stars, 1) == 10
    assert await status(stars, "stxP") == "credited"
