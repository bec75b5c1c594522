"""Paying by invoice (Telegram Stars, or fiat through Telegram): an order, Telegram's question, the payment.

The invoice payload is a random order name and nothing more. Everything that matters (buyer, amount,
currency, day) is read from the stored order, so a forged or replayed payload cannot buy cheaper.
Money is credited only when Telegram reports the payment, once per charge id, through the wallet's
`record_payment`; and what was actually paid is what is credited, never the order's figure.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import replace

from core.context import Context, player_of
from core.errors import (
    EventClosed,
    NotRegistered,
    OrderChanged,
    OrderDayDrawn,
    OrderUnknown,
    PaymentOrphaned,
    UnexpectedCurrency,
)
from core.results import EventStatus, Invoice, OrderPayment
from core.wallet import Wallet
from storage import UnitOfWork
from storage.models import Event, StarOrder

log = logging.getLogger(__name__)

# 24 random bytes: unguessable, and 32 characters of payload (Telegram allows 128 bytes).
PAYLOAD_BYTES = 24


class Orders:
    def __init__(self, context: Context, wallet: Wallet) -> None:
        self._ctx = context
        self._wallet = wallet

    async def open(self, telegram_id: int, quantity: int) -> Invoice:
        """Store an order for `quantity` ballots at today's price; the invoice names it."""
        rules = self._ctx.rules
        rules.check_quantity(quantity)
        now = self._ctx.clock.now()
        payload = secrets.token_urlsafe(PAYLOAD_BYTES)
        async with self._ctx.db.transaction() as uow:
            player = await player_of(uow, telegram_id)
            event = await self._ctx.event_of(uow, rules.day_of(now), now)
            if event.status != EventStatus.OPEN:
                # An invoice now would be refused at checkout: point to the next lottery instead.
                raise EventClosed(event.day, rules.end_of(event.day))
            await uow.star_orders.add(
                payload=payload,
                player_id=player.id,
                event_id=event.id,
                quantity=quantity,
                unit_price=event.price,
                currency=event.currency,
                now=now,
            )
        return Invoice(
            payload=payload,
            day=event.day,
            event_title=event.title,
            quantity=quantity,
            unit_price=event.price,
            total=quantity * event.price,
            currency=event.currency,
        )

    async def check(self, telegram_id: int, *, payload: str, amount: int, currency: str) -> None:
        """Telegram's question before it charges: raise the reason to say no, return to say yes.

        Reads only, so the answer comes well within Telegram's ten seconds.
        """
        async with self._ctx.db.snapshot() as uow:
            player = await player_of(uow, telegram_id)
            order = await uow.star_orders.by_payload(payload)
            if order is None or order.player_id != player.id:
                raise OrderUnknown()
            event = await _event(uow, order)
        if self._drawn(event):
            raise OrderDayDrawn(event.day)
        if (amount, currency) != (order.total, order.currency) or event.price != order.unit_price:
            raise OrderChanged()

    async def settle(
        self, telegram_id: int, *, payload: str, charge_id: str, amount: int, currency: str
    ) -> OrderPayment:
        """Book a payment Telegram reports; the same charge id books once, whatever happened since.

        The money is the player's in every case: a day drawn meanwhile leaves it as credit for the
        next lottery, and an amount that differs from the order is booked as paid and logged.
        """
        if currency != self._ctx.rules.currency:
            log.error("payment %s in %s %s cannot be credited", charge_id, amount, currency)
            await self._keep_orphan(telegram_id, payload, charge_id, amount, currency, "currency")
            raise UnexpectedCurrency(currency)
        async with self._ctx.db.snapshot() as uow:
            order = await uow.star_orders.by_payload(payload)
            event = await _event(uow, order) if order is not None else None
            player = await uow.players.by_telegram_id(telegram_id)
            known = await uow.payments.by_charge_id(charge_id) is not None
            orphaned = await uow.payments.orphan(charge_id) is not None
        if orphaned and not known:
            # Kept as an orphan when it was paid (the payer was no player then): admins may refund it
            # by its charge id, so it is never credited too, even if its payer registered since.
            log.warning("payment %s is an orphan payment already; not credited", charge_id)
            raise PaymentOrphaned(charge_id, amount, currency, newly_kept=False)
        if player is None and not known:
            log.error("payment %s of %s %s has no player to credit; kept", charge_id, amount, currency)
            newly = await self._keep_orphan(telegram_id, payload, charge_id, amount, currency, "no player")
            raise PaymentOrphaned(charge_id, amount, currency, newly_kept=newly)
        ours = order is not None and player is not None and order.player_id == player.id
        differs = order is None or not ours or (amount, currency) != (order.total, order.currency)
        if order is None or not ours:
            log.warning("payment %s names no order of its payer; booking what was paid", charge_id)
        elif differs:
            log.warning(
                "payment %s paid %s %s for an order of %s %s; booking what was paid",
                charge_id,
                amount,
                currency,
                order.total,
                order.currency,
            )
        try:
            receipt = await self._wallet.record_payment(
                telegram_id,
                provider=self._ctx.gateway.name,
                charge_id=charge_id,
                amount=amount,
                currency=currency,
            )
        except NotRegistered:
            # The payer was deleted between the look above and the credit: the money is kept all the same.
            log.error("payment %s lost its player before it was credited; kept", charge_id)
            newly = await self._keep_orphan(telegram_id, payload, charge_id, amount, currency, "no player")
            raise PaymentOrphaned(charge_id, amount, currency, newly_kept=newly) from None
        if order is not None and ours and receipt.newly_credited:
            async with self._ctx.db.transaction() as uow:
                await uow.star_orders.link_payment(order.id, receipt.payment_id)
        price = await self._todays_price()
        return OrderPayment(
            receipt=replace(receipt, affordable=self._ctx.rules.affordable(receipt.balance, price)),
            day=event.day if event is not None else None,
            carried_over=event is not None and self._drawn(event),
            differs_from_order=differs and receipt.newly_credited,
        )

    async def _keep_orphan(
        self, telegram_id: int, payload: str, charge_id: str, amount: int, currency: str, reason: str
    ) -> bool:
        async with self._ctx.db.transaction() as uow:
            return await uow.payments.add_orphan_if_new(
                charge_id=charge_id,
                telegram_id=telegram_id,
                amount=amount,
                currency=currency,
                payload=payload,
                reason=reason,
                now=self._ctx.clock.now(),
            )

    def _drawn(self, event: Event) -> bool:
        """An order's day is over once its lottery is no longer open or its midnight has passed."""
        return event.status != EventStatus.OPEN or event.day < self._ctx.today()

    async def _todays_price(self) -> int:
        async with self._ctx.db.snapshot() as uow:
            event = await uow.events.on_day(self._ctx.today())
        return event.price if event is not None else self._ctx.rules.ballot_price


async def _event(uow: UnitOfWork, order: StarOrder) -> Event:
    event = await uow.events.by_id(order.event_id)
    assert event is not None, "an order's event is kept with it"
    return event
