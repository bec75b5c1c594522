"""A hand-written Telegram Stars stand-in for core tests: it keeps books the way Telegram does."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from core.errors import ProviderRefused, ProviderUnavailable
from core.gateway import ProviderTransaction, RefundOutcomeUnknown

AT = dt.datetime(2024, 5, 1, 12, tzinfo=dt.UTC)


class FakeStars:
    """Payments and refunds in chronological order; scripted failures for the next refund calls."""

    def __init__(self) -> None:
        self.books: list[ProviderTransaction] = []
        self.refund_calls: list[str] = []
        self.script: list[str] = []  # "timeout", "timeout-undone", "down", "refuse" for the next calls

    def paid(self, charge_id: str, telegram_id: int, amount: int, payload: str = "") -> None:
        self.books.append(ProviderTransaction(charge_id, amount, AT, telegram_id, payload, refund=False))

    def withdrew(self, transaction_id: str, amount: int) -> None:
        """The owner's withdrawal to Fragment: in the books, but no player's payment."""
        self.books.append(ProviderTransaction(transaction_id, amount, AT, None, "", refund=True, other=True))

    def refunded(self, charge_id: str) -> bool:
        return any(t.charge_id == charge_id and t.refund for t in self.books)

    async def refund_star_payment(self, *, user_id: int, charge_id: str) -> None:
        self.refund_calls.append(charge_id)
        step = self.script.pop(0) if self.script else "ok"
        if step == "down":
            raise ProviderUnavailable("refund")
        if step == "refuse":
            raise ProviderRefused("refund", "CHARGE_ID_INVALID")
        if step == "timeout-undone":
            raise RefundOutcomeUnknown(charge_id)
        payment = next(t for t in self.books if t.charge_id == charge_id and not t.refund)
        if not self.refunded(charge_id):
            self.books.append(
                ProviderTransaction(charge_id, payment.amount, AT, user_id, payment.payload, refund=True)
            )
        if step == "timeout":
            raise RefundOutcomeUnknown(charge_id)

    async def star_transactions(self, *, offset: int, limit: int) -> Sequence[ProviderTransaction]:
        return self.books[offset : offset + limit]
