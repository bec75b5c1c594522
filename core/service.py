"""The lottery's one entry point: the front end builds a `LotteryService` and calls its use cases."""

from __future__ import annotations

from core.beacon import DrawPolicy
from core.clock import Clock, SystemClock
from core.closing import Closing
from core.context import Context
from core.events import EventCalendar
from core.gateway import DummyGateway, PaymentGateway
from core.history import AccountHistory
from core.notifications import Notifications
from core.orders import Orders
from core.players import PlayerAccounts
from core.receipts import Receipts
from core.reconciliation import Reconciliation
from core.rules import LotteryRules
from core.tickets import Tickets
from core.wallet import Wallet
from storage import Database
from storage.schema import upgrade


class LotteryService:
    """Use cases grouped by what a person does: accounts, money, tickets, draws, the calendar."""

    def __init__(
        self,
        db: Database,
        *,
        rules: LotteryRules | None = None,
        clock: Clock | None = None,
        gateway: PaymentGateway | None = None,
        draws: DrawPolicy | None = None,
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
        self.closing = Closing(self.context, draws)
        self.events = EventCalendar(self.context)
        self.notifications = Notifications(self.context)
        self.receipts = Receipts(self.context)
        self.history = AccountHistory(self.context)
        self.orders = Orders(self.context, self.wallet)
        self.reconciliation = Reconciliation(self.context, self.wallet, self.orders)

    @classmethod
    def connect(
        cls,
        database_url: str,
        *,
        rules: LotteryRules | None = None,
        clock: Clock | None = None,
        gateway: PaymentGateway | None = None,
        draws: DrawPolicy | None = None,
    ) -> LotteryService:
        """A service on its own database connection pool; `close()` releases it."""
        return cls(Database.from_url(database_url), rules=rules, clock=clock, gateway=gateway, draws=draws)

    async def migrate(self) -> None:
        """Bring the schema up to date; safe to call at every startup."""
        await upgrade(self.context.db.engine)

    async def close(self) -> None:
        await self.context.db.dispose()

    @property
    def rules(self) -> LotteryRules:
        return self.context.rules
