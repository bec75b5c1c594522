"""Star orders: the invoices the bot sent, looked up by the payload Telegram echoes back."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import StarOrder


class StarOrders:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        *,
        payload: str,
        player_id: int,
        event_id: int,
        quantity: int,
        unit_price: int,
        currency: str,
        now: dt.datetime,
    ) -> None:
        await self._session.execute(
            insert(StarOrder).values(
                payload=payload,
                player_id=player_id,
                event_id=event_id,
                quantity=quantity,
                unit_price=unit_price,
                total=quantity * unit_price,
                currency=currency,
                created_at=now,
            )
        )

    async def by_payload(self, payload: str) -> StarOrder | None:
        result = await self._session.scalars(select(StarOrder).where(StarOrder.payload == payload))
        return result.one_or_none()

    async def link_payment(self, order_id: int, payment_id: int) -> None:
        """Note which payment paid the order; the first payment stays linked if another arrives."""
        await self._session.execute(
            update(StarOrder)
            .where(StarOrder.id == order_id, StarOrder.payment_id.is_(None))
            .values(payment_id=payment_id)
        )
