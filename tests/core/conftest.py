"""Fixtures the core tests of Telegram Stars share: Telegram's books, and a lottery paid in Stars."""

from __future__ import annotations

import pytest

from core.clock import FixedClock
from core.gateway import StarsGateway
from core.rules import LotteryRules
from core.service import LotteryService
from storage import Database
from tests.core.stars import FakeStars


@pytest.fixture
def telegram() -> FakeStars:
    return FakeStars()


@pytest.fixture
def stars(db: Database, rules: LotteryRules, clock: FixedClock, telegram: FakeStars) -> LotteryService:
    return LotteryService(db, rules=rules, clock=clock, gateway=StarsGateway(telegram))
