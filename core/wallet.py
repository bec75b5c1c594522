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
    ChargeUnknown,
    NotRegistered,
    PaymentFailed,
    PaymentNotRefundable,
    PaymentSpent,
    ProviderUnavailable,
    RefundPending,
    RefundsUnavailable,
)
from core.results import (
    ChargeSummary,
    EventBallots,
    EventStatus,
    History,
    LedgerKind,
    LedgerLine,
    PaymentReceipt,
    RefundablePayment,
    RefundReceipt,
    RefundReport,
)
from storage import UnitOfWork, hot_writes, joining, reads
from storage.models import Payment

log = logging.getLogger(__name__)


class Wallet:
    def __init__(self, context: Context) -> None:
        self._ctx = context

    async def pay(self, telegram_id: int, quantity: int) -> PaymentReceipt:
        """Charge the player for `quantity` ballots at today's price and credit what was paid.

        Two trips to the database around the provider's call, which never runs inside a transaction:
        a read for the payer and the price (the day's event is made if nobody needed it yet), then
        the credit as one transaction (`record_payment`).
        """
        rules = self._ctx.rules
        rules.check_quantity(quantity)
        now = self._ctx.clock.now()
        day = rules.day_of(now)
        payer, event = await self._ctx.db.read(lambda query: reads.player_and_event(query, telegram_id, day))
        if payer is None:
            raise NotRegistered(telegram_id)
        if event is None:
            terms = self._ctx.new_event(day)
            event = await self._ctx.db.write(
                lambda query: joining.event_of_day(query, day=day, terms=terms, now=now)
            )
        amount = quantity * event.price
        charge = await self._ctx.gateway.charge(
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
        if event.status != "open":
            # Paid after today's draw: the credit is the player's for the next lottery, and no Buy
            # button may offer ballots of a day that is closed.
            return replace(receipt, affordable=0, todays_lottery_closed=True)
        return replace(receipt, affordable=rules.affordable(receipt.balance, event.price))

    async def record_payment(
        self, telegram_id: int, *, provider: str, charge_id: str, amount: int, currency: str
    ) -> PaymentReceipt:
        """Credit a provider's charge exactly once; recording it again returns the first result.

        One transaction in one trip (storage.payments.credit_charge; on PostgreSQL one call of
        `lottery_credit`, see storage.postgres), guarded by the charge id's
        uniqueness: the payment, the credit and its ledger entry commit together or not at all.
        """
        now = self._ctx.clock.now()
        credited = await self._ctx.db.hot(
            hot_writes.CREDIT,
            telegram_id=telegram_id,
            provider=provider,
            charge_id=charge_id,
            amount=amount,
            currency=currency,
            now=now,
        )
        if credited is None:
            raise NotRegistered(telegram_id)
        return PaymentReceipt(
            payment_id=credited.payment_id,
            charge_id=charge_id,
            amount=credited.amount,
            currency=credited.currency,
            balance=credited.balance,
            newly_credited=credited.newly_credited,
        )

    async def refundable(self, telegram_id: int) -> list[RefundablePayment]:
        """Payments that can go back whole now: not refunded, and covered by the balance; newest first."""
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
        """Refund one of the player's own payments, whole."""
        self._refuse_unless_refundable()
        now = self._ctx.clock.now()
        async with self._ctx.db.transaction() as uow:
            player = await player_of(uow, telegram_id)
            payment = await uow.payments.by_id(payment_id)
            if payment is None or payment.player_id != player.id:
                raise PaymentNotRefundable(payment_id, "not found, or not yours")
            balance = await self._reserve(uow, payment, player.balance, now)
        return await self._complete(payment, telegram_id, balance)

    async def charge(self, charge_id: str) -> ChargeSummary:
        """The payment an admin names by the provider's charge id, to confirm before refunding."""
        async with self._ctx.db.snapshot() as uow:
            payment = await uow.payments.by_charge_id(charge_id)
            if payment is None:
                orphan = await uow.payments.orphan(charge_id)
                if orphan is None:
                    raise ChargeUnknown(charge_id)
                return ChargeSummary(
                    payment_id=orphan.id,
                    charge_id=orphan.charge_id,
                    amount=orphan.amount,
                    currency=orphan.currency,
                    status="refunded" if orphan.refunded_at is not None else "orphan",
                    telegram_id=orphan.telegram_id,
                    paid_at=orphan.created_at,
                    orphan=True,
                )
            player = await uow.players.by_id(payment.player_id)
        return ChargeSummary(
            payment_id=payment.id,
            charge_id=payment.charge_id,
            amount=payment.amount,
            currency=payment.currency,
            status=payment.status,
            telegram_id=player.telegram_id if player is not None else None,
            paid_at=payment.created_at,
        )

    async def refund_any(self, payment_id: int) -> RefundReceipt:
        """An admin's refund of any player's payment; the same rules as the player's own."""
        self._refuse_unless_refundable()
        now = self._ctx.clock.now()
        async with self._ctx.db.transaction() as uow:
            payment = await uow.payments.by_id(payment_id)
            if payment is None:
                raise PaymentNotRefundable(payment_id, "not found")
            player = await uow.players.by_id(payment.player_id)
            if player is None or player.telegram_id is None:
                raise PaymentNotRefundable(payment.id, "its payer deleted their account")
            telegram_id = player.telegram_id
            balance = await self._reserve(uow, payment, player.balance, now)
        return await self._complete(payment, telegram_id, balance)

    async def refund_orphan(self, orphan_id: int) -> RefundReceipt:
        """Give back a payment nobody was credited for: no credit moves, Telegram is simply asked.

        Asking twice is harmless (Telegram answers that it was refunded already, which counts as done).
        """
        self._refuse_unless_refundable()
        async with self._ctx.db.snapshot() as uow:
            orphan = await uow.payments.orphan_by_id(orphan_id)
        if orphan is None:
            raise PaymentNotRefundable(orphan_id, "no such orphan payment")
        try:
            await self._ctx.gateway.refund(payer=orphan.telegram_id, charge_id=orphan.charge_id)
        except (PaymentFailed, ProviderUnavailable):
            raise
        except Exception as unknown:
            log.error("refund of orphan payment %s has an unknown outcome: %r", orphan_id, unknown)
            raise ProviderUnavailable("refund") from unknown
        async with self._ctx.db.transaction() as uow:
            await uow.payments.mark_orphan_refunded(orphan_id, now=self._ctx.clock.now())
        return RefundReceipt(payment_id=orphan.id, amount=orphan.amount, currency=orphan.currency, balance=0)

    async def refund_reported(self, charge_id: str) -> RefundReport:
        """Telegram says a charge was refunded: make the books agree, once, whoever asked for it."""
        async with self._ctx.db.snapshot() as uow:
            payment = await uow.payments.by_charge_id(charge_id)
        if payment is None:
            return RefundReport.UNKNOWN
        if payment.status == "refunding":
            confirmed = await self.settle_refund(payment.id, refunded=True)
            return RefundReport.CONFIRMED if confirmed else RefundReport.KNOWN
        if payment.status == "refunded":
            return RefundReport.KNOWN
        try:
            await self.book_provider_refund(payment.id)
        except PaymentSpent:
            log.error("Telegram refunded payment %s, whose credit is spent", payment.id)
            return RefundReport.SPENT
        except (PaymentNotRefundable, RefundPending):
            return RefundReport.KNOWN
        return RefundReport.BOOKED

    async def book_provider_refund(self, payment_id: int) -> None:
        """Book a refund the provider made without our asking (support, or an answer we lost)."""
        now = self._ctx.clock.now()
        async with self._ctx.db.transaction() as uow:
            payment = await uow.payments.by_id(payment_id)
            player = await uow.players.by_id(payment.player_id) if payment is not None else None
            if payment is None or player is None:
                raise PaymentNotRefundable(payment_id, "not found")
            await self._reserve(uow, payment, player.balance, now)
        await self.settle_refund(payment_id, refunded=True)

    async def _reserve(self, uow: UnitOfWork, payment: Payment, balance: int, now: dt.datetime) -> int:
        """Set the credit aside before the provider is asked: the payment's move to "refunding", the
        debit and the ledger entry commit together, so a purchase racing the refund for the same
        credit either spends it first (and the refund is refused) or finds it gone."""
        amount = await uow.payments.claim_refund(payment.id, player_id=payment.player_id, now=now)
        if amount is None:
            if payment.status == "refunding":
                raise RefundPending(payment.id)
            raise PaymentNotRefundable(payment.id, "refunded already")
        left = await uow.players.debit(payment.player_id, amount)
        if left is None:
            raise PaymentSpent(payment.id, amount, balance, payment.currency)
        await uow.ledger.append(
            player_id=payment.player_id,
            kind=LedgerKind.REFUND,
            amount=-amount,
            payment_id=payment.id,
            now=now,
        )
        return left

    async def _complete(self, payment: Payment, telegram_id: int, balance: int) -> RefundReceipt:
        """Ask the provider, never inside a database transaction; then settle what it answered."""
        try:
            await self._ctx.gateway.refund(payer=telegram_id, charge_id=payment.charge_id)
        except (PaymentFailed, ProviderUnavailable):
            log.warning("refund of payment %s did not happen; credit restored", payment.id)
            await self.settle_refund(payment.id, refunded=False)
            raise
        except Exception as unknown:
            # A timeout or a dropped connection: the provider may have refunded or not. Giving the
            # credit back could pay twice, so the payment stays "refunding" until reconciled.
            log.error("refund of payment %s has an unknown outcome: %r", payment.id, unknown)
            raise RefundPending(payment.id) from unknown
        if not await self.settle_refund(payment.id, refunded=True):
            log.error("payment %s was refunded, but something else settled it first", payment.id)
        return RefundReceipt(
            payment_id=payment.id, amount=payment.amount, currency=payment.currency, balance=balance
        )

    async def settle_refund(self, payment_id: int, *, refunded: bool) -> bool:
        """Close a refund in flight: confirmed, or given back as credit. Only one caller wins."""
        now = self._ctx.clock.now()
        async with self._ctx.db.transaction() as uow:
            if not await uow.payments.settle_refund(payment_id, refunded=refunded, now=now):
                return False
            if refunded:
                return True
            payment = await uow.payments.by_id(payment_id)
            assert payment is not None
            await uow.players.credit(payment.player_id, payment.amount)
            await uow.ledger.append(
                player_id=payment.player_id,
                kind=LedgerKind.REFUND_REVERSED,
                amount=payment.amount,
                payment_id=payment_id,
                now=now,
            )
        return True

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
        """A provider the bot cannot ask for refunds (fiat): say so before any credit moves."""
        if not self._ctx.gateway.refunds:
            raise RefundsUnavailable("this payment provider offers no refunds through the bot")
