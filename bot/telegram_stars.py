"""Telegram's side of Stars refunds and books, for the Stars gateway in core.

Telegram failing for a moment (5xx, 429, a dropped connection, a timeout) is retried a few times; a
retry is safe, since a charge refunded already is answered CHARGE_ALREADY_REFUNDED, which counts as
done. Only a request that never reached Telegram (the connection was refused, or no connection was
free) or a 429 surely changed nothing. Any other failure may have come after Telegram refunded (a
gateway's 502 behind a finished refund, an answer lost on the way back): if no try settles it, the
outcome is unknown and the payment stays "refunding" until reconciliation reads Telegram's books.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import httpx
from telegram import Bot, StarTransaction, TransactionPartner, TransactionPartnerUser
from telegram.error import BadRequest, NetworkError, RetryAfter

from core.errors import ProviderRefused, ProviderUnavailable
from core.gateway import ProviderTransaction, RefundOutcomeUnknown

log = logging.getLogger(__name__)

ALREADY_REFUNDED = "CHARGE_ALREADY_REFUNDED"
# TransactionPartnerUser.transaction_type of a payment through an invoice (Bot API 9.0).
INVOICE_PAYMENT = "invoice_payment"
# A 429 asking for a longer pause than this is not waited out: the player is told to try later.
LONGEST_PAUSE = 5.0


class TelegramStars:
    def __init__(self, bot: Bot, *, attempts: int = 3, timeout: float = 10.0, backoff: float = 0.5) -> None:
        self._bot = bot
        self._attempts = attempts
        self._timeout = timeout
        self._backoff = backoff

    async def refund_star_payment(self, *, user_id: int, charge_id: str) -> None:
        maybe_done = False
        for attempt in range(1, self._attempts + 1):
            pause = self._backoff * attempt
            try:
                await self._bot.refund_star_payment(user_id, charge_id, read_timeout=self._timeout)
                return
            except BadRequest as refused:
                if ALREADY_REFUNDED in refused.message.upper():
                    return
                log.error("Telegram refused to refund %s: %s", charge_id, refused.message)
                raise ProviderRefused("refund", refused.message) from refused
            except RetryAfter as busy:
                wait = busy.retry_after
                seconds = wait if isinstance(wait, int | float) else wait.total_seconds()
                if seconds > LONGEST_PAUSE:
                    break
                pause = max(pause, seconds)
            except NetworkError as failed:  # timeouts, 5xx, refused and dropped connections
                log.warning("refundStarPayment failed (try %d): %s", attempt, failed)
                maybe_done = maybe_done or not never_sent(failed)
            if attempt < self._attempts:
                await asyncio.sleep(pause)
        if maybe_done:
            raise RefundOutcomeUnknown(charge_id)
        raise ProviderUnavailable("refund")

    async def star_transactions(self, *, offset: int, limit: int) -> Sequence[ProviderTransaction]:
        """One page; Telegram failing is said plainly, before reconciliation has changed anything."""
        try:
            page = await self._bot.get_star_transactions(
                offset=offset, limit=limit, read_timeout=self._timeout
            )
        except (NetworkError, RetryAfter) as failed:
            raise ProviderUnavailable("transactions") from failed
        return [_transaction(t) for t in page.transactions]


def never_sent(error: NetworkError) -> bool:
    """True only when the request surely never reached Telegram: PTB keeps httpx's error as the cause."""
    return isinstance(error.__cause__, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


def _transaction(transaction: StarTransaction) -> ProviderTransaction:
    """A payment has the payer as `source`; its refund, the same id with the payer as `receiver`.

    Only an invoice's payment and refund are the lottery's. Everything else in the bot's books (a
    withdrawal to Fragment, Telegram Ads, paid media, gifts, a failed withdrawal coming back) is
    counted and left alone: none of it is a player's credit.
    """
    incoming = _invoice_user(transaction.source)
    outgoing = _invoice_user(transaction.receiver)
    user = incoming or outgoing
    return ProviderTransaction(
        charge_id=transaction.id,
        amount=transaction.amount,
        at=transaction.date,
        telegram_id=user.user.id if user is not None else None,
        payload=(user.invoice_payload or "") if user is not None else "",
        refund=incoming is None and outgoing is not None,
        other=user is None,
    )


def _invoice_user(partner: TransactionPartner | None) -> TransactionPartnerUser | None:
    if isinstance(partner, TransactionPartnerUser) and partner.transaction_type == INVOICE_PAYMENT:
        return partner
    return None
