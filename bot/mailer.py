"""Sending email through SMTP (aiosmtplib), behind a narrow interface the delivery loop uses."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Protocol

import aiosmtplib

from bot.settings import Settings, SmtpSecurity


class Mailer(Protocol):
    async def send(self, *, to: str, subject: str, body: str) -> None: ...


class PermanentMailError(Exception):
    """The server refused the recipient: retrying will not help."""


class SmtpMailer:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        security: SmtpSecurity = SmtpSecurity.NONE,
        username: str = "",
        password: str = "",
        timeout: float = 20.0,
    ) -> None:
        self._host = host
        self._port = port
        self._sender = sender
        self._security = security
        self._username = username or None
        self._password = password or None
        self._timeout = timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpMailer:
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value(),
        )

    async def send(self, *, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=parseaddr(self._sender)[1].rpartition("@")[2] or None)
        message.set_content(body)
        try:
            await aiosmtplib.send(
                message,
                hostname=self._host,
                port=self._port,
                use_tls=self._security is SmtpSecurity.TLS,
                start_tls=self._security is SmtpSecurity.STARTTLS,
                username=self._username,
                password=self._password,
                timeout=self._timeout,
            )
        except aiosmtplib.SMTPDataError as refused:
            # The server read the message and refused it for good (554 content rejected, 552 too big):
            # the same message would be refused again. A 4xx here is a passing refusal.
            if refused.code >= 500:
                raise PermanentMailError(str(refused)) from refused
            raise
        except aiosmtplib.SMTPRecipientsRefused as refused:
            # 4xx ("451 4.3.0 try later", greylisting) is a passing refusal: let the outbox retry.
            # Only a 5xx answer for every recipient means the address itself is refused.
            if all(recipient.code >= 500 for recipient in refused.recipients):
                raise PermanentMailError(str(refused)) from refused
            raise
