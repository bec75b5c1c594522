"""Small builders of real rows through the use cases, so tests read as the story they tell."""

from __future__ import annotations

from core.service import LotteryService


async def player(service: LotteryService, telegram_id: int, *, name: str = "Ann") -> int:
    await service.players.register(telegram_id, username=None, first_name=name)
    return telegram_id


async def joined_player(service: LotteryService, telegram_id: int, *, paid_ballots: int = 0) -> int:
    """A registered player who joined today's event and paid for `paid_ballots` ballots."""
    await player(service, telegram_id)
    await service.tickets.join(telegram_id)
    if paid_ballots:
        await service.wallet.pay(telegram_id, paid_ballots)
    return telegram_id
