"""The composition root: builds the Application and wires the lottery, jobs and delivery into it.

Services are made here once, started in `start()` and stopped in `stop()` (the same sequence as
python-telegram-bot's `run_polling`, spelled out so tests run the very same code). Nothing is
global, so tests build as many bots as they like side by side.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from telegram import Update
from telegram.error import RetryAfter
from telegram.ext import Application, ApplicationBuilder, MessageHandler, filters
from telegram.request import BaseRequest

from bot import health
from bot.commands import (
    ADMIN_COMMAND_NAMES,
    PAYMENT_TERMS_COMMAND_NAMES,
    PLAYER_COMMAND_NAMES,
    AdminMenus,
    describe_bot,
    register_commands,
)
from bot.delivery import Delivery
from bot.errors import apology, explain
from bot.handlers.admin import AdminHandlers
from bot.handlers.base import Context, reply
from bot.handlers.draws import DrawHandlers
from bot.handlers.fallback import Fallbacks
from bot.handlers.guards import Guards, Throttle
from bot.handlers.language import GROUP as LANGUAGE_GROUP
from bot.handlers.language import LanguageHandlers, LanguageMemory
from bot.handlers.money import MoneyHandlers
from bot.handlers.players import PlayerHandlers
from bot.handlers.terms import TermsHandlers
from bot.handlers.tickets import TicketHandlers
from bot.i18n import shipped
from bot.mailer import Mailer, SmtpMailer
from bot.ordering import PerUserOrder
from bot.pacing import ReplyFirstLimiter
from bot.parsing import BadInput
from bot.reconciling import ReconciliationJob
from bot.scheduling import DrawScheduler
from bot.settings import Settings
from bot.telegram_stars import TelegramStars
from core.errors import LotteryError
from core.gateway import StarsGateway
from core.service import LotteryService

log = logging.getLogger(__name__)


class LotteryBot:
    """Everything one bot process runs, and the order in which it starts and stops."""

    def __init__(
        self,
        settings: Settings,
        lottery: LotteryService,
        *,
        mailer: Mailer | None = None,
        throttle: Throttle | None = None,
        request: BaseRequest | None = None,
    ) -> None:
        self.settings = settings
        self.lottery = lottery
        self.mailer = (
            mailer
            if mailer is not None
            else (SmtpMailer.from_settings(settings) if settings.email_enabled else None)
        )
        self.application = self._build(throttle or Throttle(), request)
        self.reconciliation: ReconciliationJob | None = None
        if isinstance(lottery.context.gateway, StarsGateway):
            lottery.context.gateway.attach(
                TelegramStars(
                    self.application.bot,
                    attempts=settings.payment_call_attempts,
                    timeout=settings.payment_call_timeout,
                )
            )
            self.reconciliation = ReconciliationJob(
                lottery,
                self.application.bot,
                settings.admin_ids,
                interval=settings.reconcile_interval_seconds,
            )
        # A batch is about one second of sending: what a crash could send twice at most.
        batch_size = max(1, min(500, round(settings.messages_per_second)))
        self.delivery = Delivery(
            lottery,
            self.application.bot,
            self.mailer,
            batch_size=batch_size,
            paid_broadcast=settings.paid_broadcast,
        )
        self.scheduler = DrawScheduler(
            lottery, on_draws=lambda _: self.delivery.wake(), tick_seconds=settings.close_tick_seconds
        )
        self._delivery_task: asyncio.Task[None] | None = None

    def _build(self, throttle: Throttle, request: BaseRequest | None) -> Application:  # type: ignore[type-arg]
        settings = self.settings
        builder = ApplicationBuilder()
        if request is not None:  # tests drive handlers with no sockets
            builder = builder.request(request).get_updates_request(request)
        application_builder = (
            builder.token(settings.telegram_bot_token.get_secret_value())
            .base_url(settings.telegram_api_base_url)
            .rate_limiter(ReplyFirstLimiter(broadcast_per_second=settings.messages_per_second))
        )
        if settings.concurrent_updates > 1:
            application_builder = application_builder.concurrent_updates(
                PerUserOrder(settings.concurrent_updates)
            )
        application = application_builder.build()
        languages = LanguageHandlers(shipped(), self.lottery, LanguageMemory())
        application.add_handlers(languages.handlers(), group=LANGUAGE_GROUP)
        menus = AdminMenus(settings.admin_ids, shipped(), payments_are_real=settings.payments_are_real)
        # Only admins' private messages reach it, so no one else's update pays for a callback context.
        admins = filters.User(user_id=settings.admin_ids, allow_empty=False) & filters.ChatType.PRIVATE
        application.add_handler(MessageHandler(admins, menus.on_update), group=LANGUAGE_GROUP - 1)
        commands = [*PLAYER_COMMAND_NAMES, *PAYMENT_TERMS_COMMAND_NAMES, *ADMIN_COMMAND_NAMES]
        application.add_handlers(Guards(throttle, commands=commands).by_group())
        groups = [PlayerHandlers, TicketHandlers, MoneyHandlers, TermsHandlers, AdminHandlers, DrawHandlers]
        regular = [h for group in groups for h in group(self.lottery, settings).handlers()]
        regular += languages.choice_handlers()
        application.add_handlers([*regular, *Fallbacks().handlers()], group=0)
        application.add_error_handler(self._on_error)
        return application

    async def start(self) -> None:
        """Start in the order python-telegram-bot's `run_polling` uses, with our services in between."""
        application = self.application
        await application.initialize()  # getMe: fails fast on a wrong token
        await self.lottery.migrate()
        await register_commands(
            application.bot,
            self.settings.admin_ids,
            shipped(),
            payments_are_real=self.settings.payments_are_real,
        )
        await describe_bot(
            application.bot,
            shipped(),
            description=self.settings.bot_description,
            short_description=self.settings.bot_short_description,
        )
        job_queue = application.job_queue
        assert job_queue is not None, "python-telegram-bot needs its job-queue extra"
        self.scheduler.install(job_queue)
        if self.reconciliation is not None:
            self.reconciliation.install(job_queue)
        if self.settings.heartbeat_file is not None:
            health.beat(self.settings.heartbeat_file)
            job_queue.run_repeating(
                self._beat,
                interval=health.BEAT_SECONDS,
                first=health.BEAT_SECONDS,
                name="heartbeat",
                job_kwargs={"misfire_grace_time": None},
            )
        await application.start()
        await self.scheduler.close_due()  # catch up on draws missed while the bot was down
        self._delivery_task = asyncio.create_task(self.delivery.run(), name="outbox delivery")
        updater = application.updater
        assert updater is not None
        # Never drop pending updates: payments may be among them.
        await updater.start_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)
        log.info("the bot is running as @%s", application.bot.username)

    async def stop(self) -> None:
        """Stop taking updates, finish what is in hand, then release every resource."""
        application = self.application
        self.delivery.stop()  # its grace for sends in flight runs while polling and handlers stop
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()  # waits for the handlers still running
        if self._delivery_task is not None:
            await self._delivery_task
            self._delivery_task = None
        await application.shutdown()
        await self.lottery.close()
        log.info("the bot has stopped")

    async def _beat(self, _context: Context) -> None:
        assert self.settings.heartbeat_file is not None
        health.beat(self.settings.heartbeat_file)

    async def _on_error(self, update: object, context: Context) -> None:
        """Refusals become their friendly reply; anything else is logged and apologised for."""
        error = context.error
        if not isinstance(update, Update):
            log.error("background job failed", exc_info=error)
            return
        if isinstance(error, RetryAfter):
            # Telegram asked for a pause longer than a reply may wait: an apology would meet the same 429.
            log.warning("reply to update %s dropped: %s", update.update_id, error)
            return
        if isinstance(error, LotteryError | BadInput):
            text = explain(error, self.settings.timezone)
        else:
            user = update.effective_user
            message = update.effective_message
            log.error(
                "handler failed for update %s (user %s, text %r)",
                update.update_id,
                user.id if user else None,
                (message.text or "")[:100] if message else None,
                exc_info=error,
            )
            text = apology()
        try:
            await reply(update, text)
        except Exception:
            log.exception("could not send the reply to update %s", update.update_id)

    def run(self) -> None:
        """Long-poll until SIGINT or SIGTERM, then stop cleanly and return (exit code 0)."""
        asyncio.run(self._serve_until_signalled())

    async def _serve_until_signalled(self) -> None:
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stopping.set)
        try:
            await self.start()
            await stopping.wait()
        finally:
            await self.stop()  # also after a failed start: release what was opened
