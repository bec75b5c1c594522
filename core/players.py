"""Player accounts: registration, email, profile, deletion, and the admins' list."""

from __future__ import annotations

from dataclasses import replace

from core.context import Context, player_of, profile_of
from core.emails import normalize_email
from core.errors import NotRegistered
from core.results import EventStatus, PlayerSummary, Profile, PublicName
from storage import hot_writes, reads

MAX_PAGE = 50


class PlayerAccounts:
    def __init__(self, context: Context) -> None:
        self._ctx = context

    async def register(
        self, telegram_id: int, *, username: str | None, first_name: str | None, language: str | None = None
    ) -> tuple[Profile, bool]:
        """Register a player, or refresh the names of one we know; True when they are new.

        `language` is what Telegram reports for them, kept for the notices sent outside any update.
        One transaction in one trip (storage.joining; on PostgreSQL storage.postgres), which also reads
        the profile it returns.
        """
        now = self._ctx.clock.now()
        found, created = await self._ctx.db.hot(
            hot_writes.REGISTER,
            telegram_id=telegram_id,
            username=username,
            first_name=first_name,
            day=self._ctx.today(now),
            now=now,
            language=language,
        )
        return profile_of(telegram_id, found, self._ctx.rules), created

    async def languages(self, telegram_id: int) -> tuple[str | None, str | None] | None:
        """(chosen with /language, last reported by Telegram), or None for someone not registered.

        Read when a user is first seen by this process (bot.handlers.language): one indexed read in
        one trip (storage.reads), since it comes before the reply to every new user's first command.
        """
        return await self._ctx.db.read(lambda query: reads.languages(query, telegram_id))

    async def choose_language(self, telegram_id: int, language: str) -> None:
        """Keep the player's choice; it wins over what Telegram reports, in replies, notices and emails."""
        async with self._ctx.db.transaction() as uow:
            if not await uow.players.set_languages(telegram_id, chosen=language):
                raise NotRegistered(telegram_id)

    async def report_language(self, telegram_id: int, language: str) -> None:
        """Telegram reported another language for the player: their notices follow it (unless chosen)."""
        async with self._ctx.db.transaction() as uow:
            await uow.players.set_languages(telegram_id, reported=language)

    async def languages_of_notices(self, notice_ids: list[int]) -> dict[int, tuple[str | None, str | None]]:
        async with self._ctx.db.snapshot() as uow:
            return await uow.players.languages_of_notices(notice_ids)

    async def set_email(self, telegram_id: int, address: str) -> Profile:
        email = normalize_email(address)
        async with self._ctx.db.transaction() as uow:
            player = await player_of(uow, telegram_id)
            await uow.players.set_email(player.id, email)
        return await self.profile(telegram_id)

    async def profile(self, telegram_id: int) -> Profile:
        """The player with how many ballots they hold today and the first page of their numbers:
        one indexed read, however many ballots there are."""
        today = self._ctx.today()
        found = await self._ctx.db.read(
            lambda query: reads.todays_ballots(query, telegram_id, today, receipts=False)
        )
        if found is None:
            raise NotRegistered(telegram_id)
        profile = profile_of(telegram_id, found, self._ctx.rules)
        if found.event is not None and found.event.status == EventStatus.CANCELLED:
            # Cancelled ballots are no longer the player's: their price went back to the credit.
            return replace(profile, today_ballots=(), today_ballot_count=0, today_refunded=found.held)
        return profile

    async def choose_public_name(self, telegram_id: int, choice: PublicName) -> Profile:
        """Keep how public results name the player; it applies to every result shown from now on."""
        async with self._ctx.db.transaction() as uow:
            if not await uow.players.set_public_name(telegram_id, choice.value):
                raise NotRegistered(telegram_id)
        return await self.profile(telegram_id)

    async def delete(self, telegram_id: int) -> None:
        """Erase the player's personal data everywhere, in one transaction; ballots and payments stay,
        anonymous, for the audit. Their pending notices are cancelled, so nothing queued before the
        deletion (a winner email, say) is sent to the erased address."""
        async with self._ctx.db.transaction() as uow:
            player = await player_of(uow, telegram_id)
            await uow.players.forget_notices(player.id)
            await uow.players.anonymise(player.id, now=self._ctx.clock.now())

    async def page(self, *, offset: int = 0, limit: int = 20) -> tuple[list[PlayerSummary], int]:
        """One page of registered players and how many there are in all."""
        async with self._ctx.db.snapshot() as uow:
            players = await uow.players.page(offset=max(offset, 0), limit=min(max(limit, 1), MAX_PAGE))
            total = await uow.players.count()
        summaries = [
            PlayerSummary(
                telegram_id=player.telegram_id,
                username=player.username,
                first_name=player.first_name,
                balance=player.balance,
                joined_at=player.created_at,
            )
            for player in players
        ]
        return summaries, total
