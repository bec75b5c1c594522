"""Configuration from the environment and an optional `.env` file, validated once at startup.

Every variable is documented in `.env.example`. A bad value stops the bot with one line that names
the variable, instead of a traceback later in the night.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from core.gateway import DummyGateway, PaymentGateway, StarsGateway
from core.rules import LotteryRules

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"


class SmtpSecurity(StrEnum):
    NONE = "none"
    STARTTLS = "starttls"
    TLS = "tls"


class PaymentProvider(StrEnum):
    DUMMY = "dummy"
    STARS = "stars"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr = SecretStr("")
    telegram_api_base_url: str = DEFAULT_API_BASE_URL
    database_url: str = "sqlite+aiosqlite:///lottery.db"
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    lottery_timezone: str = "UTC"
    ballot_price: int = Field(default=1, ge=1, le=1_000_000_000)
    currency: str = Field(default="XTR", min_length=1, max_length=8)
    max_ballots_per_purchase: int = Field(default=100, ge=1, le=100_000)
    payment_provider: PaymentProvider = PaymentProvider.DUMMY
    smtp_host: str = ""
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str = "lottery@localhost"
    smtp_security: SmtpSecurity = SmtpSecurity.NONE
    smtp_allow_plaintext_auth: bool = False
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    log_level: str = "INFO"
    messages_per_second: float = Field(default=25.0, gt=0, le=100_000)
    close_tick_seconds: float = Field(default=30.0, gt=0)
    heartbeat_file: Path | None = None
    # What Telegram shows before the first message (up to 512 characters) and on the bot's profile
    # (up to 120); empty means the bot's own text, in each shipped language.
    bot_description: str = Field(default="", max_length=512)
    bot_short_description: str = Field(default="", max_length=120)

    @field_validator("heartbeat_file", mode="before")
    @classmethod
    def _no_heartbeat_when_empty(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_admin_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            if not all(part.lstrip("-").isdigit() for part in parts):
                raise ValueError("must be comma-separated numeric Telegram user ids")
            return frozenset(int(part) for part in parts)
        return value

    @field_validator("lottery_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as unknown:
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name like Europe/Berlin)"
            ) from unknown
        return value

    @field_validator("smtp_username")
    @classmethod
    def _no_plaintext_login(cls, value: str, info: ValidationInfo) -> str:
        """A login over an unencrypted connection hands the mail password to anyone on the path, so it
        happens only when the operator says so (a relay on the same host, say), never by default."""
        plaintext = info.data.get("smtp_security") is SmtpSecurity.NONE
        allowed = info.data.get("smtp_allow_plaintext_auth", False)
        if value and info.data.get("smtp_host") and plaintext and not allowed:
            raise ValueError(
                "a login with SMTP_SECURITY=none sends the password in plain text; "
                "use SMTP_SECURITY=starttls or tls, or set SMTP_ALLOW_PLAINTEXT_AUTH=true"
            )
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    @field_validator("currency")
    @classmethod
    def _upper_currency(cls, value: str) -> str:
        return value.upper()

    @model_validator(mode="after")
    def _stars_are_xtr(self) -> Settings:
        """Telegram Stars invoices are in XTR only; another CURRENCY would never match a payment."""
        if self.payment_provider is PaymentProvider.STARS and self.currency != "XTR":
            raise ValueError("CURRENCY must be XTR when PAYMENT_PROVIDER is stars")
        return self

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.lottery_timezone)

    @property
    def email_enabled(self) -> bool:
        return bool(self.smtp_host)

    def payment_gateway(self) -> PaymentGateway:
        if self.payment_provider is PaymentProvider.STARS:
            return StarsGateway()
        return DummyGateway()

    def lottery_rules(self) -> LotteryRules:
        return LotteryRules(
            timezone=self.timezone,
            ballot_price=self.ballot_price,
            currency=self.currency,
            max_ballots_per_purchase=self.max_ballots_per_purchase,
        )


class ConfigurationError(Exception):
    """Raised with a one-line explanation naming the offending variable."""


def load_settings(*, require_token: bool = True, **overrides: object) -> Settings:
    """Settings from the environment and `.env`; the token may be left out only by `migrate`."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as invalid:
        raise ConfigurationError(describe(invalid)) from None
    if require_token and not settings.telegram_bot_token.get_secret_value().strip():
        raise ConfigurationError("TELEGRAM_BOT_TOKEN is required but not set")
    return settings


def describe(invalid: ValidationError) -> str:
    """The first problem, phrased with the environment variable's name."""
    error = invalid.errors()[0]
    variable = str(error["loc"][0]).upper() if error["loc"] else "configuration"
    if error["type"] == "missing":
        return f"{variable} is required but not set"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{variable} is invalid: {message}"
