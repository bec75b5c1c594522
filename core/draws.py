"""The draw: a pure function of public inputs, so anyone can recompute a winner.

The seed binds the frozen ballot set (event, count, Merkle root) to the beacon round named at freeze
and its randomness; the winning number comes from an HMAC-SHA256 counter stream keyed by the seed.
Rejection sampling keeps every number equally likely (a plain `hash % count` would favour low numbers).
"""

from __future__ import annotations

import hashlib
import hmac

_BLOCK_BITS = 256


def rejection_limit(ballot_count: int) -> int:
    """The largest multiple of `ballot_count` not above 2**256: blocks at or above it are drawn again.

    Every number then owns exactly limit / ballot_count of the accepted blocks; a plain `block %
    ballot_count` would favour the low numbers by the remainder.
    """
    return (1 << _BLOCK_BITS) - (1 << _BLOCK_BITS) % ballot_count


DRAW_VERSION = b"lottery-draw-v1"


def ballot_leaf(*, event_id: int, number: int, receipt: bytes) -> bytes:
    """The public leaf of a ballot: no Telegram id, only what its holder's private receipt can prove."""
    return hashlib.sha256(
        DRAW_VERSION + event_id.to_bytes(8, "big") + number.to_bytes(8, "big") + receipt
    ).digest()


def draw_seed(
    *, event_id: int, ballot_count: int, root: bytes, round_number: int, randomness: bytes
) -> bytes:
    """Binds the beacon's randomness to the frozen ballot set, so neither can be swapped after the fact."""
    return hashlib.sha256(
        DRAW_VERSION
        + event_id.to_bytes(8, "big")
        + ballot_count.to_bytes(8, "big")
        + root
        + round_number.to_bytes(8, "big")
        + randomness
    ).digest()


def verifiable_winner(seed: bytes, ballot_count: int) -> int:
    """Number in 1..ballot_count from an HMAC-SHA256 counter stream, rejection-sampled to stay unbiased."""
    if ballot_count < 1:
        raise ValueError("a draw needs at least one ballot")
    limit = rejection_limit(ballot_count)
    counter = 0
    while True:
        block = hmac.new(seed, counter.to_bytes(8, "big"), hashlib.sha256).digest()
        value = int.from_bytes(block, "big")
        if value < limit:
            return value % ballot_count + 1
        counter += 1
