"""Players and their balances. Balances move only by guarded UPDATEs, never read-modify-write."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialects import insert_ignoring_conflicts
from storage.models import OutboxMessage, Player


class Players:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def by_telegram_id(self, telegram_id: int) -> Player | None:
        result = await self._session.scalars(select(Player).where(Player.telegram_id == telegram_id))
        return result.one_or_none()

    async def by_id(self, player_id: int) -> Player | None:
        return await self._session.get(Player, player_id)

    async def add_if_missing(
        self,
        *,
        telegram_id: int,
        username: str | None,
        first_name: str | None,
        now: dt.datetime,
        language: str | None = None,
    ) -> bool:
        """Insert the player unless the telegram id is known; True when this call created them."""
        statement = insert_ignoring_conflicts(
            self._session,
            Player,
            values={
                "telegram_id": telegram_id,
                "username": username,
                "first_name": first_name,
                "telegram_language": language,
                "balance": 0,
                "created_at": now,
            },
            conflict_columns=["telegram_id"],
        ).returning(Player.id)
        return (await self._session.execute(statement)).first() is not None

    async def set_public_name(self, telegram_id: int, choice: str) -> bool:
        """Keep how results name the player; False for someone not registered."""
        result = await self._session.execute(
            update(Player)
            .where(Player.telegram_id == telegram_id)
            .values(public_name=choice)
            .returning(Player.id)
        )
        return result.first() is not None

    async def rename(self, player_id: int, *, username: str | None, first_name: str | None) -> None:
        await self._session.execute(
            update(Player).where(Player.id == player_id).values(username=username, first_name=first_name)
        )

    async def languages(self, telegram_id: int) -> tuple[str | None, str | None] | None:
        """(chosen, last reported by Telegram) for a registered player, else None."""
        row = (
            await self._session.execute(
                select(Player.language, Player.telegram_language).where(Player.telegram_id == telegram_id)
            )
        ).first()
        return None if row is None else (row[0], row[1])

    async def set_languages(
        self, telegram_id: int, *, chosen: str | None = None, reported: str | None = None
    ) -> bool:
        """Store whichever is given; False when no such player is registered."""
        values = {"language": chosen} if chosen is not None else {}
        if reported is not None:
            values["telegram_language"] = reported
        result = await self._session.execute(
            update(Player).where(Player.telegram_id == telegram_id).values(**values)
        )
        return int(getattr(result, "rowcount", 0)) > 0

    async def languages_of_notices(
        self, notice_ids: Sequence[int]
    ) -> dict[int, tuple[str | None, str | None]]:
        """(chosen, reported) of each notice's recipient: delivery writes in their language."""
        if not notice_ids:
            return {}
        rows = await self._session.execute(
            select(OutboxMessage.id, Player.language, Player.telegram_language)
            .join(Player, Player.id == OutboxMessage.player_id)
            .where(OutboxMessage.id.in_(list(notice_ids)))
        )
        return {row[0]: (row[1], row[2]) for row in rows}

    async def set_email(self, player_id: int, email: str | None) -> None:
        await self._session.execute(update(Player).where(Player.id == player_id).values(email=email))

    async def anonymise(self, player_id: int, *, now: dt.datetime) -> None:
        """Erase who the player was; their id keeps the books and past draws whole."""
        await self._session.execute(
            update(Player)
            .where(Player.id == player_id)
            .values(telegram_id=None, username=None, first_name=None, email=None, deleted_at=now)
        )

    async def forget_notices(self, player_id: int) -> int:
        """Cancel the player's pending notices and blank the address on all of them; returns how many
        were cancelled.

        Part of erasing a player: a queued winner email must never reach an erased address, and the
        outbox must not keep the Telegram id or email (nor an error that quotes it) once they are gone.
        Lives here rather than in storage.outbox because it is about the player, in their erasure.
        Rows are the player's by `player_id` or by address: a row that lost its `player_id` (one set
        aside as unreadable, say) still names them in `recipient`, and is blanked the same way. It must
        run before `anonymise`, which erases the addresses it looks for.
        """
        who = (
            await self._session.execute(
                select(Player.telegram_id, Player.email).where(Player.id == player_id)
            )
        ).one_or_none()
        addresses = [str(a) for a in (who or ()) if a is not None and str(a) != ""]
        mine = or_(OutboxMessage.player_id == player_id, OutboxMessage.recipient.in_(addresses))
        cancelled = await self._session.execute(
            update(OutboxMessage).where(mine, OutboxMessage.status == "pending").values(status="cancelled")
        )
        # Dropping the claim token fences off a sender that claimed these rows before the erasure: its
        # outcome (and an error quoting the address) is never written back over it.
        await self._session.execute(
            update(OutboxMessage).where(mine).values(recipient="", last_error=None, claim_token=None)
        )
        return int(getattr(cancelled, "rowcount", 0))

    async def credit(self, player_id: int, amount: int) -> int:
        """Add to the balance and return the new one."""
        result = await self._session.execute(
            update(Player)
            .where(Player.id == player_id)
            .values(balance=Player.balance + amount)
            .returning(Player.balance)
        )
        return result.scalar_one()

    async def debit(self, player_id: int, amount: int) -> int | None:
        """Take from the balance if it covers `amount`; the new balance, or None if it does not."""
        result = await self._session.execute(
            update(Player)
            .where(Player.id == player_id, Player.balance >= amount)
            .values(balance=Player.balance - amount)
            .returning(Player.balance)
        )
        return result.scalar_one_or_none()

    async def page(self, *, offset: int, limit: int) -> Sequence[Player]:
        result = await self._session.scalars(
            select(Player).where(Player.deleted_at.is_(None)).order_by(Player.id).offset(offset).limit(limit)
        )
        return result.all()

    async def count(self) -> int:
        statement = select(func.count()).select_from(Player).where(Player.deleted_at.is_(None))
        return (await self._session.execute(statement)).scalar_one()

    async def total_balance(self) -> int:
        statement = select(func.coalesce(func.sum(Player.balance), 0))
        return int((await self._session.execute(statement)).scalar_one())
