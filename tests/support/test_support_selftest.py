"""Prove the test doubles speak the real protocols, using the real clients.

If these fail, every end-to-end test built on the emulator or the SMTP server is suspect.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from email.message import EmailMessage

import aiosmtplib
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LabeledPrice,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    PreCheckoutQueryHandler,
    filters,
)

from tests.support.bot_api import BotApiEmulator
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.e2e

TOKEN = "123456:TEST"
Context = ContextTypes.DEFAULT_TYPE


@pytest.fixture
async def api() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(token=TOKEN) as emulator:
        yield emulator


@pytest.fixture
async def bot(api: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=api.base_url) as client:
        yield client


async def _pong(update: Update, context: Context) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text("pong")


async def _menu(update: Update, context: Context) -> None:
    assert update.effective_message is not None
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Buy", callback_data="buy:1")]])
    await update.effective_message.reply_text("Menu", reply_markup=keyboard)


async def _on_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("ok")
    await query.edit_message_text(f"Bought {query.data}")


async def _echo(update: Update, context: Context) -> None:
    assert update.effective_message is not None
    assert update.effective_message.text is not None
    await update.effective_message.reply_text(f"echo {update.effective_message.text}")


async def _pre_checkout(update: Update, context: Context) -> None:
    query = update.pre_checkout_query
    assert query is not None
    if query.invoice_payload == "event:1":
        await query.answer(ok=True)
    else:
        await query.answer(ok=False, error_message="This event is closed")


async def _paid(update: Update, context: Context) -> None:
    message = update.effective_message
    assert message is not None
    assert message.successful_payment is not None
    await message.reply_text(f"credited {message.successful_payment.telegram_payment_charge_id}")


@pytest.fixture
async def app(api: BotApiEmulator) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    application = ApplicationBuilder().token(TOKEN).base_url(api.base_url).build()
    application.add_handler(CommandHandler("ping", _pong))
    application.add_handler(CommandHandler("menu", _menu))
    application.add_handler(CallbackQueryHandler(_on_button))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, _echo))
    application.add_handler(PreCheckoutQueryHandler(_pre_checkout))
    application.add_handler(MessageHandler(filters.SUCCESSFUL_PAYMENT, _paid))
    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0, timeout=1, allowed_updates=Update.ALL_TYPES)
    yield application
    started = time.monotonic()
    await application.updater.stop()
    await application.stop()
    await application.shutdown()
    assert time.monotonic() - started < 2.5


# -- Bot API emulator with telegram.Bot ----------------------------------------------------


async def test_get_me_describes_the_bot(bot: Bot) -> None:
    me = await bot.get_me()
    assert me.username == "test_lottery_bot"
    assert me.is_bot
    assert me.can_join_groups


async def test_send_message_returns_a_full_message(api: BotApiEmulator, bot: Bot) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
    first = await bot.send_message(7, "hello", reply_markup=keyboard)
    second = await bot.send_message(7, "42")

    assert first.text == "hello"
    assert first.chat.id == 7
    assert first.from_user is not None
    assert first.from_user.is_bot
    assert first.reply_markup == keyboard
    assert second.message_id > first.message_id
    assert second.text == "42", "string fields must not be JSON-decoded"
    assert [m["text"] for m in api.sent_messages(7)] == ["hello", "42"]
    assert api.sent_messages(7)[0]["reply_markup"] == keyboard.to_dict()


async def test_commands_are_recorded_per_scope(api: BotApiEmulator, bot: Bot) -> None:
    players = [BotCommand("buy", "Buy a ballot")]
    admins = [*players, BotCommand("draw", "Close the event")]
    await bot.set_my_commands(players)
    await bot.set_my_commands(admins, scope=BotCommandScopeChat(99))

    assert [c["command"] for c in api.commands()] == ["buy"]
    assert [c["command"] for c in api.commands({"type": "chat", "chat_id": 99})] == ["buy", "draw"]
    assert await bot.get_my_commands(scope=BotCommandScopeChat(99)) == tuple(admins)
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Draw", "uppercase is rejected by Telegram")])


@pytest.mark.filterwarnings("ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning")
async def test_injected_failures_map_to_ptb_exceptions(api: BotApiEmulator, bot: Bot) -> None:
    api.fail_next("sendMessage", 429, retry_after=3)
    with pytest.raises(RetryAfter, match=r"Retry in (3 seconds|0:00:03)"):
        await bot.send_message(1, "x")

    api.fail_next("sendMessage", 500, times=2)
    for _ in range(2):
        with pytest.raises(NetworkError):
            await bot.send_message(1, "x")

    api.block_user(1)
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_message(1, "x")
    api.unblock_user(1)
    await bot.send_message(1, "delivered")
    assert [m["text"] for m in api.sent_messages(1)] == ["delivered"]


async def test_wrong_token_and_unknown_method(api: BotApiEmulator, bot: Bot) -> None:
    stranger = Bot("999:WRONG", base_url=api.base_url)
    with pytest.raises(InvalidToken):
        await stranger.initialize()
    await stranger.shutdown()
    with pytest.raises(InvalidToken, match="Not Found"):
        await bot.get_chat(1)


async def test_stars_invoice_and_refund(api: BotApiEmulator, bot: Bot) -> None:
    message = await bot.send_invoice(
        5, "Ballot", "One ballot", "event:1", "XTR", [LabeledPrice("Ballot", 10)]
    )
    assert message.invoice is not None
    assert message.invoice.total_amount == 10

    api.send_successful_payment(5, payload="event:1", total_amount=10, charge_id="ch1")
    assert await bot.refund_star_payment(5, "ch1")
    with pytest.raises(BadRequest, match=r"(?i)already_refunded"):
        await bot.refund_star_payment(5, "ch1")
    transactions = await bot.get_star_transactions()
    assert [t.id for t in transactions.transactions] == ["ch1", "ch1"]


async def test_get_updates_long_polls_and_respects_offset(api: BotApiEmulator, bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert time.monotonic() - started >= 0.9, "an empty poll must be held open"

    first = api.send_text(3, "a")
    api.send_text(3, "b")
    assert [u.update_id for u in await bot.get_updates(limit=1)] == [first]
    await bot.get_updates(offset=first + 2, timeout=0)
    await api.wait_until_updates_consumed(timeout=1)


async def test_a_second_bot_instance_gets_a_conflict(api: BotApiEmulator, bot: Bot) -> None:
    older = asyncio.create_task(bot.get_updates(timeout=2))
    await api.wait_for_call("getUpdates")
    async with Bot(TOKEN, base_url=api.base_url) as second_instance:
        await second_instance.get_updates(timeout=0)
    with pytest.raises(Conflict):
        await older


# -- Bot API emulator with a polling Application -------------------------------------------


async def test_application_answers_ping(api: BotApiEmulator, app: Application) -> None:  # type: ignore[type-arg]
    api.send_command(1, "/ping")
    reply = await api.wait_for_message(1, lambda text: text == "pong", timeout=5)
    assert reply["method"] == "sendMessage"
    await api.wait_until_updates_consumed(timeout=5)


async def test_group_command_with_bot_name(api: BotApiEmulator, app: Application) -> None:  # type: ignore[type-arg]
    api.send_command(1, "/ping@test_lottery_bot", chat_type="supergroup", chat_id=-100)
    await api.wait_for_message(-100, lambda text: text == "pong", timeout=5)
    api.send_text(1, "hello there")
    await api.wait_for_message(1, lambda text: text == "echo hello there", timeout=5)


async def test_callback_query_round_trip(api: BotApiEmulator, app: Application) -> None:  # type: ignore[type-arg]
    api.send_command(2, "/menu")
    menu = await api.wait_for_message(2, lambda text: text == "Menu", timeout=5)
    assert menu["reply_markup"] is not None

    update_id = api.press_button(2, "buy:1", message_id=menu["message_id"])
    edited = await api.wait_for_message(2, timeout=5)
    assert edited == {**edited, "method": "editMessageText", "text": "Bought buy:1"}
    assert edited["message_id"] == menu["message_id"]
    await api.wait_for_call("answerCallbackQuery", timeout=5)
    assert api.answered_callback_queries[str(update_id)]["text"] == "ok"
    assert not api.unanswered_callback_queries
    await api.assert_no_message(2, wait=0.1)


async def test_stars_payment_round_trip(api: BotApiEmulator, app: Application) -> None:  # type: ignore[type-arg]
    accepted = api.send_pre_checkout_query(4, payload="event:1", total_amount=10)
    refused = api.send_pre_checkout_query(4, payload="event:2", total_amount=10)
    await api.wait_until_updates_consumed(timeout=5)
    await api.wait_for_call("answerPreCheckoutQuery", timeout=5)
    await api.wait_for_call("answerPreCheckoutQuery", timeout=5)
    assert api.pre_checkout_answers[str(accepted)]["ok"] is True
    assert api.pre_checkout_answers[str(refused)]["error_message"] == "This event is closed"

    api.send_successful_payment(4, payload="event:1", total_amount=10, charge_id="ch-9")
    await api.wait_for_message(4, lambda text: text == "credited ch-9", timeout=5)


def test_malformed_updates_are_rejected_at_injection(api: BotApiEmulator) -> None:
    with pytest.raises(ValueError, match="cannot parse"):
        api.send_update({"message": {"text": "no chat, no date"}})
    update_id = api.send_update({"edited_message": _plain_message("edited")})
    with pytest.raises(ValueError, match="must exceed"):
        api.send_update({"update_id": update_id, "message": _plain_message("replayed id")})


def _plain_message(text: str) -> dict[str, object]:
    return {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}, "text": text}


# -- SMTP server with aiosmtplib -------------------------------------------------------------


def _mail(subject: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "bot@example.org"
    message["To"] = "player@example.org"
    message["Subject"] = subject
    message.set_content(f"Body of {subject}")
    return message


async def test_smtp_receives_and_survives_restart_on_same_port() -> None:
    with SmtpServer() as smtp:
        await aiosmtplib.send(_mail("first"), hostname=smtp.host, port=smtp.port)
        [mail] = await smtp.wait_for_messages(1, timeout=2)
        assert mail.subject == "first"
        assert mail.envelope_to == ["player@example.org"]
        assert mail.text.strip() == "Body of first"

        port = smtp.port
        smtp.stop()
        with pytest.raises(aiosmtplib.SMTPConnectError):
            await aiosmtplib.send(_mail("lost"), hostname=smtp.host, port=port, timeout=2)
        smtp.start()
        assert smtp.port == port
        await aiosmtplib.send(_mail("second"), hostname=smtp.host, port=port)
        received = await smtp.wait_for_messages(2, timeout=2)
        assert [m.subject for m in received] == ["first", "second"]


async def test_smtp_auth_and_temporary_rejection() -> None:
    with SmtpServer(username="bot", password="secret") as smtp:
        with pytest.raises(aiosmtplib.SMTPAuthenticationError):
            await aiosmtplib.send(
                _mail("x"),
                hostname=smtp.host,
                port=smtp.port,
                username="bot",
                password="wrong",
                timeout=2,
            )
        smtp.reject_next()
        with pytest.raises(aiosmtplib.SMTPResponseException) as caught:
            await aiosmtplib.send(
                _mail("y"), hostname=smtp.host, port=smtp.port, username="bot", password="secret"
            )
        assert caught.value.code == 451
        await aiosmtplib.send(
            _mail("z"), hostname=smtp.host, port=smtp.port, username="bot", password="secret"
        )
        assert [m.subject for m in await smtp.wait_for_messages(1, timeout=2)] == ["z"]
        # aiosmtplib tries every advertised mechanism (PLAIN, LOGIN) before giving up.
        assert smtp.auth_attempts == [("bot", False), ("bot", False), ("bot", True), ("bot", True)]


# -- payments (issue 7): the emulator refuses what real Telegram refuses ---------------------


@pytest.mark.parametrize(
    ("title", "description", "payload", "match"),
    [
        ("", "One ballot", "order:1", "title is empty"),
        ("x" * 33, "One ballot", "order:1", "title is too long"),
        ("Ballot", "", "order:1", "description is empty"),
        ("Ballot", "d" * 256, "order:1", "description is too long"),
        ("Ballot", "One ballot", "", "payload is empty"),
        ("Ballot", "One ballot", "é" * 65, "payload is too long"),
    ],
)
async def test_invoice_lengths_are_checked(
    bot: Bot, title: str, description: str, payload: str, match: str
) -> None:
    with pytest.raises(BadRequest, match=f"(?i){match}"):
        await bot.send_invoice(5, title, description, payload, "XTR", [LabeledPrice("B", 10)])


async def test_invoice_at_the_limits_is_accepted(bot: Bot) -> None:
    message = await bot.send_invoice(5, "x" * 32, "d" * 255, "p" * 128, "XTR", [LabeledPrice("B", 10)])
    assert message.invoice is not None
    assert message.invoice.currency == "XTR"


async def test_stars_invoice_needs_one_price_and_no_provider_token(bot: Bot) -> None:
    two = [LabeledPrice("A", 1), LabeledPrice("B", 2)]
    with pytest.raises(BadRequest, match=r"(?i)exactly one price"):
        await bot.send_invoice(5, "T", "D", "p", "XTR", two)
    with pytest.raises(BadRequest, match=r"(?i)provider_token"):
        await bot.send_invoice(5, "T", "D", "p", "XTR", [LabeledPrice("A", 1)], provider_token="")


async def test_fiat_invoice_needs_a_provider_token(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)PAYMENT_PROVIDER_INVALID"):
        await bot.send_invoice(5, "T", "D", "p", "EUR", [LabeledPrice("A", 250)])
    message = await bot.send_invoice(
        5, "T", "D", "p", "EUR", [LabeledPrice("A", 250)], provider_token="284685063:TEST:x"
    )
    assert message.invoice is not None
    assert message.invoice.total_amount == 250


async def test_pre_checkout_answered_too_late_is_refused(api: BotApiEmulator, bot: Bot) -> None:
    api.pre_checkout_answer_seconds = 0.05
    query_id = str(api.send_pre_checkout_query(4, payload="order:1", total_amount=10))
    await asyncio.sleep(0.1)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_pre_checkout_query(query_id, ok=True)
    assert query_id not in api.pre_checkout_answers


async def test_refunds_of_unknown_charges_and_other_users_are_refused(api: BotApiEmulator, bot: Bot) -> None:
    api.send_successful_payment(5, payload="order:1", total_amount=10, charge_id="ch1")
    with pytest.raises(BadRequest, match=r"(?i)CHARGE_ID_INVALID"):
        await bot.refund_star_payment(6, "ch1")
    with pytest.raises(BadRequest, match=r"(?i)CHARGE_ID_INVALID"):
        await bot.refund_star_payment(5, "nope")
    assert api.refunded_charges == set()


async def test_star_transactions_are_paged(api: BotApiEmulator, bot: Bot) -> None:
    for n in range(5):
        api.send_successful_payment(5, payload=f"order:{n}", total_amount=n + 1, charge_id=f"c{n}")
    first = await bot.get_star_transactions(offset=0, limit=2)
    second = await bot.get_star_transactions(offset=2, limit=2)
    last = await bot.get_star_transactions(offset=4, limit=2)
    pages = [first, second, last]
    assert [[t.id for t in p.transactions] for p in pages] == [["c0", "c1"], ["c2", "c3"], ["c4"]]
    assert first.transactions[1].amount == 2
    assert first.transactions[0].source is not None
    with pytest.raises(BadRequest, match=r"(?i)LIMIT_INVALID"):
        await bot.get_star_transactions(limit=101)


async def test_server_errors_on_payment_methods(api: BotApiEmulator, bot: Bot) -> None:
    api.send_successful_payment(5, payload="order:1", total_amount=10, charge_id="ch1")
    api.fail_next("refundStarPayment", 502)
    with pytest.raises(NetworkError):
        await bot.refund_star_payment(5, "ch1")
    assert api.refunded_charges == set()
    assert await bot.refund_star_payment(5, "ch1")


async def test_an_error_after_the_work_was_done(api: BotApiEmulator, bot: Bot) -> None:
    api.send_successful_payment(5, payload="order:1", total_amount=10, charge_id="ch1")
    api.fail_after_doing("refundStarPayment", 502)
    with pytest.raises(NetworkError):
        await bot.refund_star_payment(5, "ch1")
    assert api.refunded_charges == {"ch1"}
    with pytest.raises(BadRequest, match=r"(?i)CHARGE_ALREADY_REFUNDED"):
        await bot.refund_star_payment(5, "ch1")


async def test_a_lost_answer_still_did_the_work(api: BotApiEmulator, bot: Bot) -> None:
    """A refund that times out on the client may have happened: only a later look can tell."""
    api.send_successful_payment(5, payload="order:1", total_amount=10, charge_id="ch1")
    api.lose_next_response("refundStarPayment", seconds=1.0)
    with pytest.raises(TimedOut):
        await bot.refund_star_payment(5, "ch1", read_timeout=0.2)
    assert api.refunded_charges == {"ch1"}
    with pytest.raises(BadRequest, match=r"(?i)CHARGE_ALREADY_REFUNDED"):
        await bot.refund_star_payment(5, "ch1")
