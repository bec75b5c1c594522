"""A unit of work: one transaction and the repositories that act inside it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.ballots import Ballots
from storage.events import Events, Registrations
from storage.orders import StarOrders
from storage.outbox import Outbox
from storage.payments import Ledger, Payments
from storage.players import Players
from storage.records import DrawRecords


class UnitOfWork:
    """Everything one use case touches, sharing one session; commit happens when the block ends."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.players = Players(session)
        self.events = Events(session)
        self.registrations = Registrations(session)
        self.ballots = Ballots(session)
        self.payments = Payments(session)
        self.ledger = Ledger(session)
        self.outbox = Outbox(session)
        self.star_orders = StarOrders(session)
        self.records = DrawRecords(session)
