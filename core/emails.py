"""Players' email addresses: exactly one mailbox, in the form we will send to.

The address ends up as an SMTP envelope recipient, so anything a mail library could read as more than
one mailbox (a comma list, a display name, a line break) must be refused here, before it is stored.
The syntax rules are email-validator's (a maintained RFC 5321/5322 implementation), not a regex of ours.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from core.errors import InvalidEmail

MAX_EMAIL_LENGTH = 254


def normalize_email(address: str) -> str:
    """The single address the player typed, normalised (domain lower-cased, Unicode NFC).

    No DNS lookup: the bot may run without network access to resolvers, and whether mail is
    deliverable is the mail server's answer, which the outbox records.
    """
    candidate = address.strip(" \t")  # a line break is never trimmed away: it is refused
    if len(candidate) > MAX_EMAIL_LENGTH:
        raise InvalidEmail(address[:MAX_EMAIL_LENGTH], reason="it is too long")
    try:
        valid = validate_email(
            candidate,
            check_deliverability=False,
            allow_display_name=False,
            allow_quoted_local=False,
            allow_domain_literal=False,
        )
    except EmailNotValidError as invalid:
        raise InvalidEmail(address[:MAX_EMAIL_LENGTH], reason=str(invalid)) from None
    return valid.normalized
