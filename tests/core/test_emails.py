"""One address, as email-validator reads it: nothing that could become a second envelope recipient."""

from __future__ import annotations

import socket

import pytest

from core.emails import normalize_email
from core.errors import InvalidEmail

NOT_ONE_ADDRESS = [
    "root,ann@example.com",
    "ann@example.com,bob@example.com",
    "ann@example.com, bob@example.com",
    "ann@example.com;bob@example.com",
    "ann@example.com bob@example.com",
    "Ann <ann@example.com>",
    "<ann@example.com>",
    "ann@example.com\r\nBcc: eve@example.com",
    "ann@example.com\n",
    "\nann@example.com",
    '"root,ann"@example.com',
    "ann@[192.0.2.1]",
    "a@b",
    "@example.com",
    "not-an-email",
    "",
    "x" * 300 + "@example.com",
]


@pytest.mark.parametrize("address", NOT_ONE_ADDRESS)
def test_anything_but_exactly_one_address_is_refused_with_a_reason(address: str) -> None:
    with pytest.raises(InvalidEmail) as refused:
        normalize_email(address)
    assert refused.value.reason


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  Ann.Smith@Example.COM ", "Ann.Smith@example.com"),
        ("ann+lottery@mail.example.org", "ann+lottery@mail.example.org"),
        ("josé@Bücher.DE", "josé@bücher.de"),
    ],
)
def test_one_address_is_stored_normalised(typed: str, stored: str) -> None:
    assert normalize_email(typed) == stored


def test_no_dns_lookup_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    """A domain nobody can resolve here is accepted: deliverability is the mail server's answer."""

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("normalize_email must not touch the network")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket, "socket", no_network)
    assert normalize_email("ann@lottery-no-such-host-7f3a.com") == "ann@lottery-no-such-host-7f3a.com"
