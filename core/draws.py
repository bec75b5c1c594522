"""The draw: a pure function of stored inputs, so anyone can recompute a winner.

Closing an event stores a fresh secret seed from `secrets`; the winning number is derived from the seed
and the ballot count alone. Rejection sampling over SHA-256 blocks keeps every number equally likely
(a plain `hash % count` would favour low numbers).
"""

from __future__ import annotations

import hashlib
import secrets

SEED_BYTES = 32
_BLOCK_BITS = 256


def new_seed() -> bytes:
    return secrets.token_bytes(SEED_BYTES)


def winning_number(seed: bytes, ballot_count: int) -> int:
    """The winning ballot number in 1..ballot_count, uniform and reproducible from `seed`."""
    if ballot_count < 1:
        raise ValueError("a draw needs at least one ballot")
    # The largest multiple of ballot_count below 2**256: values at or above it would bias the result.
    limit = (1 << _BLOCK_BITS) - (1 << _BLOCK_BITS) % ballot_count
    counter = 0
    while True:
        block = hashlib.sha256(seed + counter.to_bytes(8, "big")).digest()
        value = int.from_bytes(block, "big")
        if value < limit:
            return value % ballot_count + 1
        counter += 1
