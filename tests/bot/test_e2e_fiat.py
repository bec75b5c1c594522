"""Fiat through a Telegram payment provider: the Stars flow with a provider token and a real currency."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.formatting import money
from bot.i18n import shipped
from bot.settings import ConfigurationError
from core.clock import FixedClock
from core.currencies import minor_digits
from tests.bot.harness import ADMIN, BotHarness, harness_settings
from tests.bot.test_e2e_stars import balance, player
from tests.support.bot_api import BotApiEmulator

pytestmark = pytest.mark.e2e

TOKEN = "284685063:TEST:provider"


@pytest.fixture
async def fiat(api: BotApiEmulator, database_url: str, bot_clock: FixedClock) -> AsyncIterator[BotHarness]:
    running = BotHarness(
        api,
        None,
        database_url,
        bot_clock,
        payment_provider="telegram",
        payment_provider_token=TOKEN,
        currency="EUR",
        ballot_price=250,
    )
    await running.start()
    yield running
    await running.stop()


async def test_a_fiat_payment_takes_the_same_path(fiat: BotHarness, api: BotApiEmulator) -> None:
    await player(fiat, 1)
    api.send_command(1, "/pay 2")
    sent = await api.wait_for_call("sendInvoice")
    assert sent["provider_token"] == TOKEN
    assert sent["currency"] == "EUR"
    assert [price["amount"] for price in sent["prices"]] == [500]  # cents: Telegram's exp for EUR is 2
    query = str(api.send_pre_checkout_query(1, payload=sent["payload"], total_amount=500, currency="EUR"))
    await api.wait_for_call("answerPreCheckoutQuery")
    assert api.pre_checkout_answers[query]["ok"] is True
    api.send_successful_payment(
        1,
        payload=sent["payload"],
        total_amount=500,
        currency="EUR",
        charge_id="tg1",
        provider_charge_id="pr1",
    )
    await api.wait_for_message(1, lambda text: "Payment received" in text)
    assert await balance(fiat, 1) == 500
    assert "#1" in await fiat.say(1, "/buy 1")
    # Stars' currency is refused at checkout: the order says EUR.
    query = str(api.send_pre_checkout_query(1, payload=sent["payload"], total_amount=500, currency="XTR"))
    await api.wait_for_call("answerPreCheckoutQuery")
    assert api.pre_checkout_answers[query]["ok"] is False


async def test_fiat_refunds_are_refused_plainly(fiat: BotHarness, api: BotApiEmulator) -> None:
    await player(fiat, 1)
    answer = await fiat.say(1, "/refund")
    assert "cannot be refunded through the bot" in answer
    assert api.calls_of("refundStarPayment") == []
    assert "nothing to reconcile" in await fiat.say(ADMIN, "/reconcile")


def test_fiat_needs_a_token_and_a_currency_telegram_takes(api: BotApiEmulator) -> None:
    url = "sqlite+aiosqlite:///x.db"
    with pytest.raises(ConfigurationError, match="PAYMENT_PROVIDER_TOKEN is required"):
        harness_settings(api, None, url, payment_provider="telegram", currency="EUR")
    with pytest.raises(ConfigurationError, match="CURRENCY XTR is not one Telegram takes"):
        harness_settings(api, None, url, payment_provider="telegram", payment_provider_token=TOKEN)
    settings = harness_settings(
        api, None, url, payment_provider="telegram", payment_provider_token=TOKEN, currency="jpy"
    )
    assert settings.currency == "JPY"


def test_amounts_follow_telegrams_exp_table() -> None:
    english = shipped().translator("en")
    assert (minor_digits("EUR"), minor_digits("JPY"), minor_digits("XTR")) == (2, 0, 0)
    assert money(250, "EUR", english) == "€2.50"
    assert money(250, "JPY", english) == "¥250"
    # Telegram counts Serbian dinars in hundredths, where CLDR (Babel) counts whole dinars.
    assert minor_digits("RSD") == 2
    assert "2.50" in money(250, "RSD", english)
    with pytest.raises(ValueError, match="not a currency Telegram takes"):
        minor_digits("XXX")
