"""Reconciliation: the provider's books against ours, so no payment is lost and no refund stays pending.

Telegram keeps the list of every Stars payment and refund (`getStarTransactions`). Reading it whole
finds what the bot missed: a payment whose `successful_payment` update never arrived (the bot was down
and the update expired) is booked like any other, once per charge id; a refund whose call timed out
is settled by what the list says (refunded: confirmed; not refunded: the credit goes back). A refund
claimed in the last few minutes is left alone, since its call may still be in flight. What cannot be
explained is reported, never guessed at.
"""

from __future__ import annotations

import datetime as dt
import logging

from core.context import Context
from core.errors import LotteryError, PaymentOrphaned, PaymentSpent, RefundsUnavailable
from core.gateway import ProviderTransaction
from core.orders import Orders
from core.results import Mismatch, MismatchKind, ReconciliationReport
from core.wallet import Wallet

log = logging.getLogger(__name__)

# A refund claimed more recently than this may still have its call to Telegram in flight.
REFUND_SETTLES_AFTER = dt.timedelta(minutes=10)


class Reconciliation:
    def __init__(self, context: Context, wallet: Wallet, orders: Orders) -> None:
        self._ctx = context
        self._wallet = wallet
        self._orders = orders

    async def run(self) -> ReconciliationReport:
        async with self._ctx.db.snapshot() as uow:
            # Telegram lists a payment before it sends its update, so every payment booked by now
            # is in the list read next; one booked after it may not be, and waits for the next run.
            known_before_reading = await uow.payments.last_id()
        listed = await self._ctx.gateway.transactions()
        if listed is None:
            raise RefundsUnavailable("this payment provider keeps no list the bot can read")
        paid: dict[str, ProviderTransaction] = {}
        refunded: set[str] = set()
        for transaction in listed:
            if transaction.other:
                continue
            if transaction.refund:
                refunded.add(transaction.charge_id)
            else:
                paid.setdefault(transaction.charge_id, transaction)
        booked, orphans, mismatches = await self._book_missed(paid)
        confirmed, restored, still_pending = await self._settle_pending(refunded)
        refunds_booked, more = await self._compare(paid, refunded, known_before_reading)
        report = ReconciliationReport(
            transactions=len(listed),
            booked=tuple(booked),
            orphans=tuple(orphans),
            confirmed=tuple(confirmed),
            restored=tuple(restored),
            refunds_booked=tuple(refunds_booked),
            still_pending=still_pending,
            mismatches=tuple(mismatches + more),
        )
        log.info("reconciliation: %s", report)
        return report

    async def _book_missed(
        self, paid: dict[str, ProviderTransaction]
    ) -> tuple[list[str], list[str], list[Mismatch]]:
        async with self._ctx.db.snapshot() as uow:
            known = await uow.payments.known_charge_ids(list(paid))
        booked: list[str] = []
        orphans: list[str] = []
        mismatches: list[Mismatch] = []
        for charge_id, transaction in paid.items():
            if charge_id in known:
                continue
            if transaction.telegram_id is None:
                mismatches.append(Mismatch(MismatchKind.NO_PAYER, charge_id, theirs=transaction.amount))
                continue
            try:
                result = await self._orders.settle(
                    transaction.telegram_id,
                    payload=transaction.payload,
                    charge_id=charge_id,
                    amount=transaction.amount,
                    currency=self._ctx.rules.currency,
                )
            except PaymentOrphaned:
                orphans.append(charge_id)
                continue
            except LotteryError as refused:
                log.error("could not book missed charge %s: %r", charge_id, refused)
                mismatches.append(Mismatch(MismatchKind.NO_PAYER, charge_id, theirs=transaction.amount))
                continue
            if not result.receipt.newly_credited:
                continue  # its update arrived while the list was read
            log.warning("booked charge %s that the bot had missed", charge_id)
            booked.append(charge_id)
        return booked, orphans, mismatches

    async def _settle_pending(self, refunded: set[str]) -> tuple[list[int], list[int], int]:
        now = self._ctx.clock.now()
        async with self._ctx.db.snapshot() as uow:
            old = await uow.payments.refunding_since(now - REFUND_SETTLES_AFTER)
            young = len(await uow.payments.refunding_since(now + dt.timedelta(seconds=1))) - len(old)
        confirmed: list[int] = []
        restored: list[int] = []
        for payment in old:
            done = payment.charge_id in refunded
            if await self._wallet.settle_refund(payment.id, refunded=done):
                (confirmed if done else restored).append(payment.id)
        return confirmed, restored, young

    async def _compare(
        self, paid: dict[str, ProviderTransaction], refunded: set[str], known_before_reading: int
    ) -> tuple[list[int], list[Mismatch]]:
        """Our Stars payments against Telegram's: refunds we missed are booked, the rest reported."""
        async with self._ctx.db.snapshot() as uow:
            ours = await uow.payments.of_provider(self._ctx.gateway.name)
            orphaned = await uow.payments.known_charge_ids(list(refunded))
        booked: list[int] = []
        mismatches: list[Mismatch] = []
        on_books = {payment.charge_id for payment in ours}
        for charge_id in sorted(refunded - on_books - orphaned):
            mismatches.append(Mismatch(MismatchKind.REFUND_NOT_OURS, charge_id))
        for payment in ours:
            theirs = paid.get(payment.charge_id)
            if theirs is None and payment.id > known_before_reading:
                continue  # booked while the list was read: not in it yet, and no mismatch
            if theirs is None:
                mismatches.append(
                    Mismatch(MismatchKind.NOT_IN_TELEGRAM, payment.charge_id, ours=payment.amount)
                )
                continue
            if theirs.amount != payment.amount:
                mismatches.append(
                    Mismatch(MismatchKind.AMOUNT_DIFFERS, payment.charge_id, payment.amount, theirs.amount)
                )
            if payment.status == "credited" and payment.charge_id in refunded:
                try:
                    await self._wallet.book_provider_refund(payment.id)
                except PaymentSpent:
                    mismatches.append(
                        Mismatch(MismatchKind.REFUND_OF_SPENT_CREDIT, payment.charge_id, ours=payment.amount)
                    )
                    continue
                booked.append(payment.id)
        return booked, mismatches
