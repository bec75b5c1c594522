"""Currencies Telegram takes for fiat invoices, and how many digits their smallest unit has.

Amounts are kept in the smallest unit Telegram uses (its `exp`: 250 with exp 2 is 2.50). Telegram's
table (core.telegram.org/bots/payments/currencies.json) gives exp 0 to seven currencies and 2 to the
rest. Babel (CLDR) agrees on all but five: Telegram keeps 2 digits for AFN, ALL, LBP, RSD and YER,
where CLDR says 0. Telegram's table wins, since it is what Telegram charges.
"""

from __future__ import annotations

STARS = "XTR"

TELEGRAM_CURRENCIES = frozenset(
    [
        "AED",
        "AFN",
        "ALL",
        "AMD",
        "ARS",
        "AUD",
        "AZN",
        "BAM",
        "BDT",
        "BGN",
        "BND",
        "BOB",
        "BRL",
        "CAD",
        "CHF",
        "CLP",
        "CNY",
        "COP",
        "CRC",
        "CZK",
        "DKK",
        "DOP",
        "DZD",
        "EGP",
        "EUR",
        "GBP",
        "GEL",
        "GTQ",
        "HKD",
        "HNL",
        "HRK",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "ISK",
        "JMD",
        "JPY",
        "KES",
        "KGS",
        "KRW",
        "KZT",
        "LBP",
        "LKR",
        "MAD",
        "MDL",
        "MNT",
        "MUR",
        "MVR",
        "MXN",
        "MYR",
        "MZN",
        "NGN",
        "NIO",
        "NOK",
        "NPR",
        "NZD",
        "PAB",
        "PEN",
        "PHP",
        "PKR",
        "PLN",
        "PYG",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "SAR",
        "SEK",
        "SGD",
        "THB",
        "TJS",
        "TRY",
        "TTD",
        "TWD",
        "TZS",
        "UAH",
        "UGX",
        "USD",
        "UYU",
        "UZS",
        "VND",
        "YER",
        "ZAR",
    ]
)
_WHOLE_UNITS = frozenset({"CLP", "ISK", "JPY", "KRW", "PYG", "UGX", "VND"})


def minor_digits(currency: str) -> int:
    """Telegram's `exp`: the digits after the decimal point in an invoice amount (Stars: 0)."""
    code = currency.upper()
    if code == STARS or code in _WHOLE_UNITS:
        return 0
    if code in TELEGRAM_CURRENCIES:
        return 2
    raise ValueError(f"{currency!r} is not a currency Telegram takes")
