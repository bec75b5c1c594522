"""The drand quicknet beacon's public facts, and the checks that need no network.

Round R is chosen from the freeze time alone, so it is fixed before its randomness exists; a round is
accepted only if its randomness is the SHA-256 of its signature and its BLS signature verifies
against quicknet's public key. `Beacon` is the narrow interface the close uses; `DrandBeacon` is the
HTTP adapter; tests use a fake drand server on loopback (tests/support/beacon.py).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

import httpx

log = logging.getLogger(__name__)

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


QUICKNET_PUBLIC_KEY = bytes.fromhex(
    "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c"
    "8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb"
    "5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a"
)
QUICKNET_DST = b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"
DEFAULT_URLS = (
    "https://api.drand.sh",
    "https://drand.cloudflare.com",
    "https://api2.drand.sh",
    "https://api3.drand.sh",
)


class BeaconError(Exception):
    """The beacon answered, but not with a round this lottery may draw with (the draw keeps waiting)."""


class Beacon(Protocol):
    """Where a draw's randomness comes from: the one narrow interface the close depends on."""

    @property
    def checks_signatures(self) -> bool:
        """Whether a round is accepted only once its BLS signature verifies (written into each record)."""
        ...

    async def fetch(self, round_number: int) -> BeaconRound | None:
        """Round `round_number` once it is published and checked; None while it cannot be had."""
        ...


@dataclass(frozen=True)
class DrawPolicy:
    """How draws are made: a beacon (None: the local commit–reveal), the margin, who hears of freezes.

    A library user with no beacon gets the local commit–reveal with no margin, so a close draws at
    once; the bot defaults to drand quicknet and a 30-second margin (bot/settings.py).
    """

    beacon: Beacon | None = None
    delay: dt.timedelta = dt.timedelta(0)
    results_chat_id: int | None = None
    # The outbox's sending rate (MESSAGES_PER_SECOND): when set, the delay grows with the queue so
    # that every frozen announcement can be sent before round R exists.
    messages_per_second: float | None = None
    announce_margin: dt.timedelta = dt.timedelta(seconds=10)

    def delay_for(self, queued: int) -> int:
        """Whole seconds from freeze to R's earliest time: the configured delay, or longer when
        `queued` Telegram messages (the announcements and any backlog ahead of them) need more time
        to go out at the outbox's rate, plus a margin."""
        configured = math.ceil(self.delay.total_seconds())
        if self.beacon is None or self.messages_per_second is None:
            # Local randomness is fixed by the operator's own secret: announcing before the draw
            # proves nothing more, so the configured delay stands (0: a local close draws at once).
            return configured
        sending = math.ceil(queued / self.messages_per_second + self.announce_margin.total_seconds())
        return max(configured, sending)


def signature_verifies(beacon_round: BeaconRound, public_key: bytes = QUICKNET_PUBLIC_KEY) -> bool:
    """The quicknet BLS check (unchained, G1 signatures, RFC 9380 hash-to-curve), with py_ecc.

    The message is SHA-256 of the round number (8 bytes, big-endian); e(pk, H(m)) must equal
    e(g2, sig). Pure Python: about 0.6 s on this project's machines, so callers run it in a thread.
    """
    from py_ecc.bls.hash_to_curve import hash_to_G1
    from py_ecc.bls.point_compression import decompress_G1, decompress_G2
    from py_ecc.bls.typing import G1Compressed, G2Compressed
    from py_ecc.fields import optimized_bls12_381_FQ12 as FQ12
    from py_ecc.optimized_bls12_381.optimized_curve import G2, neg
    from py_ecc.optimized_bls12_381.optimized_pairing import final_exponentiate, miller_loop

    try:
        signature = decompress_G1(G1Compressed(int.from_bytes(beacon_round.signature, "big")))
        key = decompress_G2(
            G2Compressed((int.from_bytes(public_key[:48], "big"), int.from_bytes(public_key[48:], "big")))
        )
    except (ValueError, AssertionError):
        return False
    message = hashlib.sha256(beacon_round.round_number.to_bytes(8, "big")).digest()
    point = hash_to_G1(message, QUICKNET_DST, cast(Any, hashlib.sha256))
    product = miller_loop(key, point) * miller_loop(neg(G2), signature)
    return bool(final_exponentiate(product) == FQ12.one())


class DrandBeacon:
    """drand quicknet over HTTP from several mirrors; each answer is checked.

    With the BLS check on (production), a round counts once any mirror's answer verifies against
    quicknet's public key (its randomness being SHA-256 of its signature): BLS signatures are unique,
    so two verified answers cannot differ, and one broken or lying mirror cannot hold up a draw.
    With the check off (test mirrors only), at least `quorum` mirrors must answer, all alike, with
    randomness = SHA-256(signature). An unreachable or not-yet-published round is None: the draw waits
    and asks again. Answers that disagree (unchecked) or none that verifies raise `BeaconError`.
    """

    def __init__(
        self,
        urls: Sequence[str] = DEFAULT_URLS,
        *,
        quorum: int | None = None,
        verify_signatures: bool = True,
        timeout: float = 5.0,
        chain_hash: str = QUICKNET_CHAIN_HASH,
    ) -> None:
        if not urls:
            raise ValueError("drand needs at least one URL")
        self._urls = [url.rstrip("/") for url in urls]
        self._quorum = quorum if quorum is not None else min(2, len(self._urls))
        self._verify = verify_signatures
        self._timeout = timeout
        self._chain_hash = chain_hash

    @property
    def checks_signatures(self) -> bool:
        return self._verify

    async def fetch(self, round_number: int) -> BeaconRound | None:
        async with httpx.AsyncClient(timeout=self._timeout) as client:
            answers = await asyncio.gather(*(self._ask(client, url, round_number) for url in self._urls))
        rounds = [answer for answer in answers if answer is not None]
        if self._verify:
            return await self._first_verified(round_number, rounds)
        if len(rounds) < self._quorum:
            log.info("drand round %s: %d of %d mirrors answered", round_number, len(rounds), self._quorum)
            return None
        if any(other != rounds[0] for other in rounds[1:]):
            raise BeaconError(f"drand mirrors disagree about round {round_number}")
        agreed = rounds[0]
        if not randomness_matches(agreed):
            raise BeaconError(f"round {round_number}: randomness is not SHA-256 of the signature")
        return agreed

    async def _first_verified(self, round_number: int, rounds: list[BeaconRound]) -> BeaconRound | None:
        """Any answer that passes both checks (each distinct answer checked once: ~0.6 s apiece)."""
        if not rounds:
            log.info("drand round %s: no mirror answered", round_number)
            return None
        failures = []
        for answer in dict.fromkeys(rounds):
            if not randomness_matches(answer):
                failures.append("randomness is not SHA-256 of the signature")
            elif not await asyncio.to_thread(signature_verifies, answer):
                failures.append("the BLS signature does not verify")
            else:
                if len(failures) or len(set(rounds)) > 1:
                    log.warning("drand round %s: some mirrors gave answers that do not verify", round_number)
                return answer
        raise BeaconError(f"round {round_number}: no mirror's answer verifies ({'; '.join(failures)})")

    async def _ask(self, client: httpx.AsyncClient, url: str, round_number: int) -> BeaconRound | None:
        try:
            response = await client.get(f"{url}/{self._chain_hash}/public/{round_number}")
            if response.status_code != 200:
                return None
            body = response.json()
            answer = BeaconRound(
                round_number=int(body["round"]),
                signature=bytes.fromhex(body["signature"]),
                randomness=bytes.fromhex(body["randomness"]),
            )
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as failure:
            log.warning("drand mirror %s gave no round %s: %r", url, round_number, failure)
            return None
        return answer if answer.round_number == round_number else None
