"""Player accounts: registration, email, profile, deletion, and the admins' list."""

from __future__ import annotations

from core.context import Context, player_of
from core.emails import normalize_email
from core.results import PlayerSummary, Profile

MAX_PAGE = 50


class PlayerAccounts:
    def __init__(self, context: Context) -> None:
        self._ctx = context

    async def register(
        self, telegram_id: int, *, username: str | None, first_name: str | None
    ) -> tuple[Profile, bool]:
        """Register a player, or refresh the names of one we know; True when they are new."""
        now = self._ctx.clock.now()
        async with self._ctx.db.transaction() as uow:
            created = await uow.players.add_if_missing(
                telegram_id=telegram_id, username=username, first_name=first_name, now=now
            )
            player = await player_of(uow, telegram_id)
            if not created and (player.username, player.first_name) != (username, first_name):
                await uow.players.rename(player.id, username=username, first_name=first_name)
        return await self.profile(telegram_id), created

    async def set_email(self, telegram_id: int, address: str) -> Profile:
        email = normalize_email(address)
        async with self._ctx.db.transaction() as uow:
            player = await player_of(uow, telegram_id)
            await uow.players.set_email(player.id, email)
        return await self.profile(telegram_id)

    async def profile(self, telegram_id: int) -> Profile:
        today = self._ctx.today()
        async with self._ctx.db.snapshot() as uow:
            player = await player_of(uow, telegram_id)
            event = await uow.events.on_day(today)
            numbers = await uow.ballots.numbers(event_id=event.id, player_id=player.id) if event else []
        return Profile(
            telegram_id=telegram_id,
            username=player.username,
            first_name=player.first_name,
            email=player.email,
            balance=player.balance,
            currency=self._ctx.rules.currency,
            today_ballots=tuple(numbers),
        )

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
