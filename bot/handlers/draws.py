"""Looking at draw records: /verify for everyone, /exportrecord (the verifier's JSON file) for admins."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler, filters

from bot import draw_texts, parsing, replies
from bot.dates import UnreadableDay, parse_day
from bot.handlers.base import PRIVATE_MESSAGE, AnyHandler, Context, HandlerGroup, arguments, reply
from bot.i18n import shipped

EXPORT = "exportrecord"


class DrawHandlers(HandlerGroup):
    def handlers(self) -> list[AnyHandler]:
        admins = PRIVATE_MESSAGE & filters.User(user_id=self.settings.admin_ids, allow_empty=False)
        return [
            CommandHandler("verify", self.verify),
            CommandHandler(EXPORT, self.export, filters=admins),
            CommandHandler(EXPORT, self.refuse),
        ]

    async def verify(self, update: Update, context: Context) -> None:
        """The day is read as /winner reads it: today, yesterday, 1.5.2024, 2024-5-1 or a day's name."""
        args = arguments(context)
        day = None
        if args:
            today = self.lottery.rules.day_of(self.lottery.context.clock.now())
            try:
                day = parse_day(" ".join(args), today, shipped())
            except UnreadableDay as unread:
                raise parsing.BadInput(draw_texts.unreadable_day(unread.text)) from None
        record = await self.lottery.closing.record_on(day)
        if record is None:
            commitment = None if day is None else await self.lottery.closing.commitment_on(day)
            if day is not None and commitment is not None:
                await reply(update, draw_texts.commitment_text(day, commitment))
                return
            text = draw_texts.no_records() if day is None else draw_texts.no_record(day)
            await reply(update, text)
            return
        await reply(update, draw_texts.verify_text(record))

    async def export(self, update: Update, context: Context) -> None:
        """The day's record as the JSON file `python -m core.verify` reads, sent as a document."""
        day = parsing.optional_date(arguments(context), command=EXPORT)
        if day is None:
            raise parsing.BadInput(draw_texts.export_usage())
        record = await self.lottery.closing.record_on(day)
        chat = update.effective_chat
        if record is None or chat is None:
            await reply(update, draw_texts.no_record(day))
            return
        if not record.drawn:
            # Half a record would only fail the verifier as malformed: say what it waits for instead.
            await reply(update, draw_texts.export_not_drawn(record))
            return
        await chat.send_document(
            document=draw_texts.document(record).encode(),
            filename=f"record-{day.isoformat()}.json",
            caption=draw_texts.export_caption(record),
        )

    async def refuse(self, update: Update, context: Context) -> None:
        await reply(update, replies.not_admin())
