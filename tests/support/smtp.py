"""A real SMTP server for tests, built on aiosmtpd.

Why a real server: the code under test sends mail with aiosmtplib over a socket, so connection
refusals, authentication failures and temporary rejections behave exactly as in production.

Usage::

    with SmtpServer(username="bot", password="secret") as smtp:
        ...  # point the mailer at smtp.host / smtp.port
        [mail] = await smtp.wait_for_messages(1)
        assert mail.message["Subject"] == "Your ticket"

``stop()`` and ``start()`` take the server down and bring it back on the same port, to simulate
an outage. aiosmtpd runs its own event loop in a thread, so the received list is guarded by a
lock and ``wait_for_messages`` polls it instead of sharing futures across loops.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from types import TracebackType
from typing import Any, Final, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

HOST: Final = "127.0.0.1"
POLL_INTERVAL: Final = 0.01


@dataclass(frozen=True)
class ReceivedMail:
    """One delivered message: the SMTP envelope plus the parsed headers and body."""

    envelope_from: str
    envelope_to: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", ""))

    @property
    def text(self) -> str:
        """The plain-text body (the text/plain part of a multipart message)."""
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if isinstance(part, EmailMessage) else ""


def _free_port() -> int:
    """Let the OS pick a free port; aiosmtpd's Controller cannot take port 0 itself."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


class _Authenticator:
    """Accepts exactly one login/password pair and records every attempt."""

    def __init__(self, username: str, password: str) -> None:
        self._expected = LoginPassword(username.encode(), password.encode())
        self.attempts: list[tuple[str, bool]] = []

    def __call__(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        mechanism: str,
        auth_data: Any,
    ) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data == self._expected
        login = auth_data.login.decode() if isinstance(auth_data, LoginPassword) else "?"
        self.attempts.append((login, ok))
        if ok:
            return AuthResult(success=True)
        # handled=False lets aiosmtpd answer 535; with the default the client hangs.
        return AuthResult(success=False, handled=False)


class _CapturingHandler:
    """aiosmtpd handler that stores every message, or rejects a scripted number of them."""

    def __init__(self, *, require_auth: bool) -> None:
        self.lock = threading.Lock()
        self.received: list[ReceivedMail] = []
        self.rejections: list[str] = []
        self.recipient_rejections: list[str] = []
        self.require_auth = require_auth

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        """Demand AUTH here rather than with aiosmtpd's ``auth_required``, which warns when
        TLS is off (and pyproject turns warnings into errors in some setups)."""
        if self.require_auth and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        with self.lock:
            if self.recipient_rejections:
                return self.recipient_rejections.pop(0)
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self.lock:
            if self.rejections:
                return self.rejections.pop(0)
            self.received.append(_parse(envelope))
        return "250 Message accepted for delivery"


def _parse(envelope: Envelope) -> ReceivedMail:
    content = envelope.original_content or envelope.content or b""
    raw = content.encode() if isinstance(content, str) else content
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return ReceivedMail(
        envelope_from=envelope.mail_from or "",
        envelope_to=list(envelope.rcpt_tos),
        message=message,
    )


class SmtpServer:
    """A local SMTP server that keeps its port across ``stop()``/``start()``."""

    def __init__(
        self,
        *,
        username: str | None = None,
        password: str | None = None,
        port: int | None = None,
    ) -> None:
        if (username is None) != (password is None):
            raise ValueError("give both username and password, or neither")
        self.host = HOST
        self.port = port or _free_port()
        self._handler = _CapturingHandler(require_auth=username is not None)
        self._authenticator = (
            _Authenticator(username, password) if username is not None and password is not None else None
        )
        self._controller: Controller | None = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        """Listen on ``self.port`` (again). Blocks briefly until the server answers."""
        if self._controller is not None:
            return
        self._controller = Controller(
            self._handler, hostname=self.host, port=self.port, **self._smtp_options()
        )
        self._controller.start()

    def stop(self) -> None:
        """Close the listening socket; clients now get "connection refused"."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def _smtp_options(self) -> dict[str, Any]:
        if self._authenticator is None:
            return {}
        return {"authenticator": self._authenticator, "auth_require_tls": False}

    @property
    def messages(self) -> list[ReceivedMail]:
        """Every accepted message so far, oldest first."""
        with self._handler.lock:
            return list(self._handler.received)

    @property
    def auth_attempts(self) -> list[tuple[str, bool]]:
        """(login, succeeded) for every AUTH attempt; empty when AUTH is off."""
        return list(self._authenticator.attempts) if self._authenticator else []

    def reject_next(self, times: int = 1, reply: str = "451 4.3.0 Temporary failure, try later") -> None:
        """Refuse the next ``times`` messages at DATA with ``reply`` (4xx: retry, 5xx: give up)."""
        with self._handler.lock:
            self._handler.rejections.extend([reply] * times)

    def reject_recipient_next(
        self, times: int = 1, reply: str = "451 4.3.0 Temporary failure, try later"
    ) -> None:
        """Refuse the next ``times`` recipients at RCPT TO with ``reply`` (as greylisting does)."""
        with self._handler.lock:
            self._handler.recipient_rejections.extend([reply] * times)

    def clear(self) -> None:
        with self._handler.lock:
            self._handler.received.clear()

    async def wait_for_messages(
        self,
        count: int,
        timeout: float = 10.0,
    ) -> list[ReceivedMail]:
        """Wait until at least ``count`` messages arrived; return them all."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(received := self.messages) < count:
            if loop.time() >= deadline:
                subjects = [mail.subject for mail in received]
                raise AssertionError(
                    f"expected {count} mails within {timeout}s, got {len(received)}: {subjects}"
                )
            await asyncio.sleep(POLL_INTERVAL)
        return received
