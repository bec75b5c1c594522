"""A player's money: payments in, refunds out, and the ledger that explains the balance.

Credit belongs to the player, not to one day's event: what was paid and not spent carries over, and a
whole payment can be refunded while the balance still covers it (Telegram Stars refunds whole charges).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import replace

from core.context import Context, player_of
from core.errors import (
    NotEnoughCredit,
    PaymentFailed,
    PaymentNotRefundable,
    RefundPending,
    RefundsUnavailable,
)
from core.results import (
    EventBallots,
    EventStatus,
    History,
    LedgerKind,
    LedgerLine,
    PaymentReceipt,
    RefundablePayment,
    RefundReceipt,
)

log = logging.getLogger(__name__)


class Wallet:
    def __init__(self, context: Context) -> None:
        self._ctx = context

    async def pay(self, telegram_id: int, quantity: int) -> PaymentReceipt:
        """Charge the player for `quantity` ballots at today's price and credit what was paid."""
        rules = self._ctx.rules
        rules.check_quantity(quantity)
        now = self._ctx.clock.now()
        async with self._ctx.db.transaction() as uow:
            await player_of(uow, telegram_id)
            event = await self._ctx.event_of(uow, rules.day_of(now), now)
        amount = quantity * event.price
        gateway = self._ctx.gateway
        charge = await gateway.charge(
            payer=telegram_id,
            amount=amount,
            currency=event.currency,
            description=f"{quantity} ballot(s) for {event.title}",
        )
        receipt = await self.record_payment(
            telegram_id,
            provider=charge.provider,
            charge_id=charge.charge_id,
            amount=amount,
            currency=event.currency,
        )
        return replace(receipt, affordable=rules.affordable(receipt.balance, event.price))

    async def record_payment(
        self, telegram_id: int, *, provider: str, charge_id: str, amount: int, currency: str
    ) -> PaymentReceipt:
        """Credit a provider's charge exactly once; recording it again returns the first result."""
        now = self._ctx.clock.now()
        async with self._ctx.db.transaction() as uow:
            player = await player_of(uow, telegram_id)
            payment_id = await uow.payments.add_if_new(
                player_id=player.id,
                provider=provider,
                charge_id=charge_id,
                amount=amount,
                currency=currency,
                now=now,
            )
            if payment_id is None:
                known = await uow.payments.by_charge_id(charge_id)
                assert known is not None, "a conflicting charge id is on record"
                return PaymentReceipt(
                    payment_id=known.id,
                    charge_id=charge_id,
                    amount=known.amount,
                    currency=known.currency,
                    balance=player.balance,
                    newly_credited=False,
                )
            balance = await uow.players.credit(player.id, amount)
            await uow.ledger.append(
                player_id=player.id,
                kind=LedgerKind.PAYMENT,
                amount=amount,
                payment_id=payment_id,
                now=now,
            )
        return PaymentReceipt(
            payment_id=payment_id,
            charge_id=charge_id,
            amount=amount,
            currency=currency,
            balance=balance,
            newly_credited=True,
        )

    async def refundable(self, telegram_id: int) -> list[RefundablePayment]:
        """Payments that can go back whole now: not refunded, and covered by the balance."""
        self._refuse_unless_refundable()
        async with self._ctx.db.snapshot() as uow:
            player = await player_of(uow, telegram_id)
            payments = await uow.payments.credited_to(player.id)
        return [
            RefundablePayment(
                payment_id=payment.id,
                amount=payment.amount,
                currency=payment.currency,
                paid_at=payment.created_at,
            )
            for payment in payments
            if payment.amount <= player.balance
        ]

    async def refund(self, telegram_id: int, payment_id: int) -> RefundReceipt:
        """Take the credit back first, then ask the provider; put the credit back if it refuses.

        The provider is never called inside a database transaction, and the credit can never be spent
        and refunded both: the debit and the payment's move to "refunding" commit together.
        """
        self._refuse_unless_refundable()
        now = self._ctx.clock.now()
        async with self._ctx.db.transaction() as uow:
            player = await player_of(uow, telegram_id)
            amount = await uow.payments.claim_refund(payment_id, player_id=player.id)
            if amount is None:
                raise PaymentNotRefundable(payment_id, "not found, or refunded already")
            balance = await uow.players.debit(player.id, amount)
            if balance is None:
                raise NotEnoughCredit(amount, player.balance, self._ctx.rules.currency)
            await uow.ledger.append(
                player_id=player.id,
                kind=LedgerKind.REFUND,
                amount=-amount,
                payment_id=payment_id,
                now=now,
            )
            payment = await uow.payments.by_id(payment_id)
            assert payment is not None
        try:
            await self._ctx.gateway.refund(payer=telegram_id, charge_id=payment.charge_id)
        except PaymentFailed:
            log.warning("provider refused refund of payment %s; credit restored", payment_id)
            await self._restore_refund(player.id, payment_id, amount)
            raise
        except Exception as unknown:
            # A timeout or a dropped connection: the provider may have refunded or not. Giving the
            # credit back could pay twice, so the payment stays "refunding" until reconciled.
            log.error("refund of payment %s has an unknown outcome: %r", payment_id, unknown)
            raise RefundPending(payment_id) from unknown
        async with self._ctx.db.transaction() as uow:
            await uow.payments.settle_refund(payment_id, refunded=True, now=self._ctx.clock.now())
        return RefundReceipt(payment_id=payment_id, amount=amount, currency=payment.currency, balance=balance)

    async def _restore_refund(self, player_id: int, payment_id: int, amount: int) -> None:
        now = self._ctx.clock.now()
        async with self._ctx.db.transaction() as uow:
            await uow.payments.settle_refund(payment_id, refunded=False, now=now)
            await uow.players.credit(player_id, amount)
            await uow.ledger.append(
                player_id=player_id,
                kind=LedgerKind.REFUND_REVERSED,
                amount=amount,
                payment_id=payment_id,
                now=now,
            )

    async def history(self, telegram_id: int) -> History:
        async with self._ctx.db.snapshot() as uow:
            player = await player_of(uow, telegram_id)
            entries = await uow.ledger.entries(player.id)
            held = await uow.ballots.held_by(player.id)
        numbers: dict[dt.date, list[int]] = {}
        outcome: dict[dt.date, tuple[EventStatus, int | None]] = {}
        for day, status, winning_number, number in held:
            numbers.setdefault(day, []).append(number)
            outcome[day] = (EventStatus(status), winning_number)
        ballots = tuple(
            EventBallots(day, outcome[day][0], tuple(held_numbers), outcome[day][1])
            for day, held_numbers in numbers.items()
        )
        ledger = tuple(
            LedgerLine(
                at=entry.created_at,
                kind=LedgerKind(entry.kind),
                amount=entry.amount,
                quantity=entry.quantity,
                day=day,
            )
            for entry, day in entries
        )
        return History(
            currency=self._ctx.rules.currency,
            balance=player.balance,
            ledger=ledger,
            ballots=ballots,
        )

    def _refuse_unless_refundable(self) -> None:
        """Invoice payments (Stars) cannot be refunded yet: say so before any credit moves."""
        if self._ctx.gateway.by_invoice:
            raise RefundsUnavailable("refunds of Stars payments are not available yet")
