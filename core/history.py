"""A player's history, a page at a time: money moved and ballots held, newest first.

A page is at most four indexed reads in one trip (storage.reads.history): the player with 10,000
ballots and ten years of days reads the same page as fast as a newcomer. Nothing loads the whole past.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.context import Context
from core.errors import NotRegistered
from core.results import EventStatus, LedgerKind, LedgerLine
from storage import reads

LEDGER_LINES = 10
BALLOT_DAYS = 5
MAX_PAGE = 10_000


@dataclass(frozen=True)
class HeldDay:
    """The player's ballots of one day: how many, the first of them, and how the day ended."""

    day: dt.date
    status: EventStatus
    held: int
    numbers: tuple[int, ...]  # the first of them, at most a page
    last: int
    winning_number: int | None
    won: bool

    @property
    def one_run(self) -> bool:
        """All the day's ballots are consecutive numbers, so one range names them all."""
        return bool(self.numbers) and self.held == self.last - self.numbers[0] + 1


@dataclass(frozen=True)
class HistoryPage:
    page: int  # from 0, newest first
    currency: str
    balance: int
    ledger: tuple[LedgerLine, ...]
    days: tuple[HeldDay, ...]
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.page > 0


class AccountHistory:
    def __init__(self, context: Context) -> None:
        self._ctx = context

    async def page(self, telegram_id: int, page: int = 0) -> HistoryPage:
        """Page `page` of the player's ledger lines and ballot days (each list paged alike)."""
        page = min(max(page, 0), MAX_PAGE)
        found = await self._ctx.db.read(
            lambda query: reads.history(
                query, telegram_id, page=page, ledger_lines=LEDGER_LINES, ballot_days=BALLOT_DAYS
            )
        )
        if found is None:
            raise NotRegistered(telegram_id)
        ledger = tuple(
            LedgerLine(
                at=row.at, kind=LedgerKind(row.kind), amount=row.amount, quantity=row.quantity, day=row.day
            )
            for row in found.ledger[:LEDGER_LINES]
        )
        days = tuple(
            HeldDay(
                day=row.day,
                status=EventStatus(row.status),
                held=row.held,
                numbers=row.first,
                last=row.last,
                winning_number=row.winning_number,
                won=row.won,
            )
            for row in found.days[:BALLOT_DAYS]
        )
        return HistoryPage(
            page=page,
            currency=self._ctx.rules.currency,
            balance=found.player.balance,
            ledger=ledger,
            days=days,
            has_next=len(found.ledger) > LEDGER_LINES or len(found.days) > BALLOT_DAYS,
        )
