"""The mailer against a real SMTP server: well-formed headers, and which refusals are final."""

from __future__ import annotations

import aiosmtplib
import pytest

from bot.mailer import PermanentMailError, SmtpMailer
from tests.support.smtp import SmtpServer


def _mailer(smtp: SmtpServer, sender: str = "lottery@example.com") -> SmtpMailer:
    return SmtpMailer(host=smtp.host, port=smtp.port, sender=sender, timeout=5)


async def test_a_sender_with_a_display_name_still_gives_a_well_formed_message_id(smtp: SmtpServer) -> None:
    await _mailer(smtp, "Daily Lottery <lottery@example.com>").send(
        to="ann@example.com", subject="s", body="b"
    )
    [mail] = await smtp.wait_for_messages(1)
    message_id = mail.message["Message-ID"]
    assert message_id.startswith("<")
    assert message_id.endswith("@example.com>")
    assert message_id.count(">") == 1


async def test_a_message_refused_for_good_at_data_is_permanent(smtp: SmtpServer) -> None:
    smtp.reject_next(reply="554 5.6.0 Message content rejected")
    with pytest.raises(PermanentMailError):
        await _mailer(smtp).send(to="ann@example.com", subject="s", body="b")


async def test_a_message_refused_for_now_at_data_is_worth_another_try(smtp: SmtpServer) -> None:
    smtp.reject_next(reply="451 4.3.0 Temporary failure, try later")
    with pytest.raises(aiosmtplib.SMTPDataError) as refused:
        await _mailer(smtp).send(to="ann@example.com", subject="s", body="b")
    assert not isinstance(refused.value, PermanentMailError)
    await _mailer(smtp).send(to="ann@example.com", subject="s", body="b")
    assert len(await smtp.wait_for_messages(1)) == 1
