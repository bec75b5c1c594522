"""Payment providers behind one narrow interface.

A gateway turns a request to pay into a provider charge id; the ledger credits a charge id once. The
dummy provider succeeds at once (the specification's "dummy payment API"); Telegram Stars, where the
money arrives later as an update, records its charges through the same `record_payment` use case.

Core knows nothing of Telegram: the front end attaches a `StarsApi` (refunds and the transaction list)
to the Stars gateway once its bot exists.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from core.errors import PaymentFailed, RefundsUnavailable

# Telegram answers at most 100 star transactions per call.
TRANSACTIONS_PER_PAGE = 100


@dataclass(frozen=True)
class Charge:
    provider: str
    charge_id: str


@dataclass(frozen=True)
class ProviderTransaction:
    """One line of the provider's own books: a payment in, or a refund of one (same charge id), or
    `other`: a line that is no player's payment (the owner's withdrawal, ads), never booked."""

    charge_id: str
    amount: int
    at: dt.datetime
    telegram_id: int | None
    payload: str
    refund: bool
    other: bool = False


class RefundOutcomeUnknown(Exception):
    """The provider never answered (a timeout): it may or may not have refunded."""


class PaymentGateway(Protocol):
    name: str
    # True when the player pays through an invoice and the money arrives later as an update
    # (Telegram Stars): the front end sends the invoice and `charge` is never called.
    by_invoice: bool

    @property
    def refunds(self) -> bool:
        """False when the provider offers no refund the bot can ask for (fiat through Telegram)."""
        ...

    async def charge(self, *, payer: int, amount: int, currency: str, description: str) -> Charge:
        """Take `amount` from the payer; raise `PaymentFailed` when the provider refuses."""
        ...

    async def refund(self, *, payer: int, charge_id: str) -> None:
        """Give a whole charge back.

        Returns when it is done (or was done before); raises `PaymentFailed` when the provider
        refused, `ProviderUnavailable` when it kept failing before doing anything, and anything
        else when the outcome is unknown.
        """
        ...

    async def transactions(self) -> Sequence[ProviderTransaction] | None:
        """Every transaction the provider lists, or None when it keeps no list we can read."""
        ...


class DummyGateway:
    """Succeeds at once with a fresh transaction id; for development and tests."""

    name = "dummy"
    by_invoice = False
    refunds = True

    def __init__(self) -> None:
        self.refunded: list[str] = []

    async def charge(self, *, payer: int, amount: int, currency: str, description: str) -> Charge:
        return Charge(provider=self.name, charge_id=f"dummy-{secrets.token_hex(16)}")

    async def refund(self, *, payer: int, charge_id: str) -> None:
        self.refunded.append(charge_id)

    async def transactions(self) -> Sequence[ProviderTransaction] | None:
        return None


class StarsApi(Protocol):
    """What the Stars gateway needs from Telegram; the front end implements it with its bot."""

    async def refund_star_payment(self, *, user_id: int, charge_id: str) -> None: ...

    async def star_transactions(self, *, offset: int, limit: int) -> Sequence[ProviderTransaction]: ...


class StarsGateway:
    """Telegram Stars: the bot sends an invoice and Telegram reports the payment as an update.

    Nothing is charged from here, so `charge` refuses. Refunds and the transaction list go through
    the attached `StarsApi`; until one is attached, refunds are refused before any credit moves.
    """

    name = "stars"
    by_invoice = True

    def __init__(self, api: StarsApi | None = None) -> None:
        self._api = api

    def attach(self, api: StarsApi) -> None:
        self._api = api

    @property
    def refunds(self) -> bool:
        return self._api is not None

    async def charge(self, *, payer: int, amount: int, currency: str, description: str) -> Charge:
        raise PaymentFailed("Stars are paid through an invoice; send /pay N")

    async def refund(self, *, payer: int, charge_id: str) -> None:
        if self._api is None:
            raise RefundsUnavailable("refunds of Stars payments are not available")
        await self._api.refund_star_payment(user_id=payer, charge_id=charge_id)

    async def transactions(self) -> Sequence[ProviderTransaction] | None:
        """Every page, from offset 0 until a short page: the list only grows, so offsets stay put."""
        if self._api is None:
            return None
        found: list[ProviderTransaction] = []
        while True:
            page = await self._api.star_transactions(offset=len(found), limit=TRANSACTIONS_PER_PAGE)
            found.extend(page)
            if len(page) < TRANSACTIONS_PER_PAGE:
                return found


class TelegramFiatGateway:
    """Fiat through a payment provider connected in @BotFather: the same invoice flow as Stars.

    The Bot API can neither refund such a payment nor list them, so refunds are refused before any
    credit moves (the provider's own dashboard is the place for them) and there is nothing to reconcile.
    """

    name = "telegram"
    by_invoice = True
    refunds = False

    async def charge(self, *, payer: int, amount: int, currency: str, description: str) -> Charge:
        raise PaymentFailed("payments go through an invoice; send /pay N")

    async def refund(self, *, payer: int, charge_id: str) -> None:
        raise RefundsUnavailable("the Bot API cannot refund fiat payments")

    async def transactions(self) -> Sequence[ProviderTransaction] | None:
        return None
