"""Payment providers behind one narrow interface.

A gateway turns a request to pay into a provider charge id; the ledger credits a charge id once. The
dummy provider succeeds at once (the specification's "dummy payment API"); Telegram Stars, where the
money arrives later as an update, records its charges through the same `record_payment` use case.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Protocol

from core.errors import PaymentFailed, RefundsUnavailable


@dataclass(frozen=True)
class Charge:
    provider: str
    charge_id: str


class PaymentGateway(Protocol):
    name: str
    # True when the player pays through an invoice and the money arrives later as an update
    # (Telegram Stars): the front end sends the invoice and `charge` is never called.
    by_invoice: bool

    async def charge(self, *, payer: int, amount: int, currency: str, description: str) -> Charge:
        """Take `amount` from the payer; raise `PaymentFailed` when the provider refuses."""
        ...

    async def refund(self, *, payer: int, charge_id: str) -> None:
        """Give a whole charge back; raise `PaymentFailed` when the provider refuses."""
        ...


class DummyGateway:
    """Succeeds at once with a fresh transaction id; for development and tests."""

    name = "dummy"
    by_invoice = False

    def __init__(self) -> None:
        self.refunded: list[str] = []

    async def charge(self, *, payer: int, amount: int, currency: str, description: str) -> Charge:
        return Charge(provider=self.name, charge_id=f"dummy-{secrets.token_hex(16)}")

    async def refund(self, *, payer: int, charge_id: str) -> None:
        self.refunded.append(charge_id)


class StarsGateway:
    """Telegram Stars: the bot sends an invoice and Telegram reports the payment as an update.

    Nothing is charged from here, so `charge` refuses; refunds through `refundStarPayment` are not
    wired yet, so `refund` refuses too and the wallet puts the credit back.
    """

    name = "stars"
    by_invoice = True

    async def charge(self, *, payer: int, amount: int, currency: str, description: str) -> Charge:
        raise PaymentFailed("Stars are paid through an invoice; send /pay N")

    async def refund(self, *, payer: int, charge_id: str) -> None:
        raise RefundsUnavailable("refunds of Stars payments are not available yet")
