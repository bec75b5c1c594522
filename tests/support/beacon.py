"""A fake drand HTTP mirror on loopback: quicknet's paths and JSON, rounds published by a test clock.

Each round's signature is 48 bytes derived from the round number (signed-looking, not a real BLS
signature, so beacons talking to it run with `verify_signatures=False`), and its randomness is the
SHA-256 of that signature, as drand defines it. `recorded` rounds (a real round kept as a fixture)
are served as given. The mirror can go down (connections refused) and come back on the same port,
or lie (serve another signature), so tests can show that a draw waits and that mirrors must agree.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
from collections.abc import Callable
from types import TracebackType
from typing import Self

from aiohttp import web

from core.beacon import QUICKNET_CHAIN_HASH, BeaconRound, round_time


def fake_round(round_number: int, *, salt: bytes = b"") -> BeaconRound:
    """The round this fake serves: a deterministic 48-byte signature and randomness = SHA-256(signature)."""
    digest = hashlib.sha256(b"fake-drand" + salt + round_number.to_bytes(8, "big")).digest()
    signature = digest + digest[:16]
    return BeaconRound(round_number, signature, hashlib.sha256(signature).digest())


class FakeDrand:
    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now
        self.recorded: dict[int, BeaconRound] = {}
        self.requests: list[int] = []
        self.lying = False
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    async def __aenter__(self) -> Self:
        await self.up()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.down()

    @property
    def url(self) -> str:
        assert self._port is not None, "the fake drand was never started"
        return f"http://127.0.0.1:{self._port}"

    @property
    def is_up(self) -> bool:
        return self._runner is not None

    async def up(self) -> None:
        """Listen (again, on the same port once it had one): connections are accepted."""
        if self._runner is not None:
            return
        app = web.Application()
        app.router.add_get("/{chain}/public/{round}", self._public)
        runner = web.AppRunner(app, shutdown_timeout=0.1, handle_signals=False)
        await runner.setup()
        sock = await self._bind()
        self._port = sock.getsockname()[1]
        await web.SockSite(runner, sock).start()
        self._runner = runner

    async def down(self) -> None:
        """Stop listening: clients get 'connection refused', as when a mirror is unreachable."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _bind(self) -> socket.socket:
        for _ in range(50):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", self._port or 0))
                return sock
            except OSError:
                sock.close()
                await asyncio.sleep(0.05)
        raise RuntimeError(f"port {self._port} stayed busy")

    def round(self, round_number: int) -> BeaconRound:
        if round_number in self.recorded:
            return self.recorded[round_number]
        return fake_round(round_number, salt=b"lie" if self.lying else b"")

    async def _public(self, request: web.Request) -> web.Response:
        if request.match_info["chain"] != QUICKNET_CHAIN_HASH:
            return web.json_response({"error": "unknown chain"}, status=404)
        try:
            number = int(request.match_info["round"])
        except ValueError:
            return web.json_response({"error": "bad round"}, status=400)
        self.requests.append(number)
        if number < 1 or (round_time(number) > self._now() and number not in self.recorded):
            # drand answers a future round with an error, not a wait.
            return web.json_response({"error": "round not yet available"}, status=425)
        answer = self.round(number)
        return web.json_response(
            {
                "round": number,
                "randomness": answer.randomness.hex(),
                "signature": answer.signature.hex(),
            }
        )
