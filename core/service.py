"""The lottery's one entry point: the front end builds a `LotteryService` and calls its use cases."""

from __future__ import annotations

from core.clock import Clock, SystemClock
from core.closing import Closing
from core.context import Context
from core.events import EventCalendar
from core.gateway import DummyGateway, PaymentGateway
from core.players import PlayerAccounts
from core.rules import LotteryRules
from core.tickets import Tickets
from core.wallet import Wallet
from storage import Database


class LotteryService:
    """Use cases grouped by what a person does: accounts, money, tickets, draws, the calendar."""

    def __init__(
        self,
        db: Database,
        *,
        rules: LotteryRules | None = None,
        clock: Clock | None = None,
        gateway: PaymentGateway | None = None,
    ) -> None:
        self.context = Context(
            db=db,
            rules=rules or LotteryRules(),
            clock=clock or SystemClock(),
            gateway=gateway or DummyGateway(),
        )
        self.players = PlayerAccounts(self.context)
        self.wallet = Wallet(self.context)
        self.tickets = Tickets(self.context)
        self.closing = Closing(self.context)
        self.events = EventCalendar(self.context)

    @property
    def rules(self) -> LotteryRules:
        return self.context.rules
