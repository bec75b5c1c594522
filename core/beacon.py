"""The drand quicknet beacon's public facts, and the checks that need no network.

Round R is chosen from the freeze time alone, so it is fixed before its randomness exists; a round is
accepted only if its randomness is the SHA-256 of its signature (what this module can check offline).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

QUICKNET_CHAIN_HASH = "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971"
QUICKNET_GENESIS = 1692803367
QUICKNET_PERIOD = 3


@dataclass(frozen=True, slots=True)
class BeaconRound:
    round_number: int
    signature: bytes
    randomness: bytes


def round_time(round_number: int) -> int:
    """Unix time at which a quicknet round is published (round 1 at genesis)."""
    return QUICKNET_GENESIS + (round_number - 1) * QUICKNET_PERIOD


def first_round_at_or_after(unix_time: float) -> int:
    """The first round whose time is at least `unix_time`: the round a draw frozen then must wait for."""
    if unix_time <= QUICKNET_GENESIS:
        return 1
    return math.ceil((unix_time - QUICKNET_GENESIS) / QUICKNET_PERIOD) + 1


def randomness_matches(beacon_round: BeaconRound) -> bool:
    """drand defines randomness as SHA-256(signature); anything else is not that round's output."""
    return hashlib.sha256(beacon_round.signature).digest() == beacon_round.randomness
