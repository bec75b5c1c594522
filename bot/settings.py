"""Configuration from the environment and an optional `.env` file, validated once at startup.

Every variable is documented in `.env.example`. A bad value stops the bot with one line that names
the variable, instead of a traceback later in the night.
"""

from __future__ import annotations

import datetime as dt
import logging
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from core.beacon import DEFAULT_URLS, QUICKNET_PERIOD, DrandBeacon, DrawPolicy
from core.currencies import TELEGRAM_CURRENCIES
from core.gateway import DummyGateway, PaymentGateway, StarsGateway, TelegramFiatGateway
from core.rules import LotteryRules

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
MAX_TERMS_LENGTH = 4096


class SmtpSecurity(StrEnum):
    NONE = "none"
    STARTTLS = "starttls"
    TLS = "tls"


class DrawBeaconKind(StrEnum):
    DRAND = "drand"
    LOCAL = "local"


class PaymentProvider(StrEnum):
    DUMMY = "dummy"
    STARS = "stars"
    TELEGRAM = "telegram"  # fiat through a payment provider connected in @BotFather


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
    payment_provider_token: SecretStr = SecretStr("")
    smtp_host: str = ""
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str = "lottery@localhost"
    smtp_security: SmtpSecurity = SmtpSecurity.NONE
    smtp_allow_plaintext_auth: bool = False
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    log_level: str = "INFO"
    messages_per_second: float = Field(default=25.0, gt=0, le=100_000)
    # Telegram's paid broadcasts: proactive sends (results, winner notices) carry allow_paid_broadcast,
    # so MESSAGES_PER_SECOND may go above the free ~30 (up to 1,000), paid in the bot's Stars.
    paid_broadcast: bool = False
    close_tick_seconds: float = Field(default=30.0, gt=0)
    # Updates handled at once, each user's still one at a time in order (bot.ordering); 1: one at a time.
    concurrent_updates: int = Field(default=4, ge=1, le=256)
    heartbeat_file: Path | None = None
    draw_beacon: DrawBeaconKind = DrawBeaconKind.DRAND
    draw_beacon_urls: Annotated[tuple[str, ...], NoDecode] = DEFAULT_URLS
    draw_beacon_delay: int = Field(default=30, ge=0, le=86_400)
    # Only for test mirrors that serve unsigned rounds: production keeps quicknet's BLS check on.
    # Turned off, every record drawn says so (bls_checked: false) and the verifier prints a warning.
    draw_beacon_verify_bls: bool = True
    results_channel_id: int | None = None

    @field_validator("results_channel_id", mode="before")
    @classmethod
    def _no_channel_when_empty(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("draw_beacon_urls", mode="before")
    @classmethod
    def _split_urls(cls, value: object) -> object:
        if isinstance(value, str):
            urls = tuple(url.strip() for url in value.split(",") if url.strip())
            if not urls or not all(url.startswith(("https://", "http://")) for url in urls):
                raise ValueError("must be comma-separated http(s) URLs of drand mirrors")
            return urls
        return value

    # Calls to Telegram's payment methods (refunds, the transaction list): how long one may take, and
    # how many tries a failing one gets before the player is told to try later.
    payment_call_timeout: float = Field(default=10.0, gt=0, le=120)
    payment_call_attempts: int = Field(default=3, ge=1, le=10)
    # How often Stars payments are reconciled with Telegram's books (the first run is at most five
    # minutes after startup).
    reconcile_interval_seconds: float = Field(default=86_400.0, gt=0)
    # What /paysupport, /terms and /privacy answer: the text itself, or the path of a UTF-8 file
    # holding it. Empty: a translated default.
    paysupport_text: str = ""
    terms_text: str = ""
    privacy_text: str = ""

    @field_validator("paysupport_text", "terms_text", "privacy_text")
    @classmethod
    def _text_or_file(cls, value: str) -> str:
        """A value naming an existing file is that file's text, read once at startup."""
        value = value.strip()
        if not value:
            return ""
        path = Path(value).expanduser()
        try:
            if len(value) < 4096 and path.is_file():
                value = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as unreadable:
            raise ValueError(f"cannot read {path}: {unreadable}") from unreadable
        if not 1 <= len(value) <= MAX_TERMS_LENGTH:
            raise ValueError(f"must be 1 to {MAX_TERMS_LENGTH} characters (one Telegram message)")
        return value

    # What Telegram shows before the first message (up to 512 characters) and on the bot's profile
    # (up to 120); empty means the bot's own text, in each shipped language.
    bot_description: str = Field(default="", max_length=512)
    bot_short_description: str = Field(default="", max_length=120)

    # What every lottery's winner wins, its short rules line, and how a winner claims it, unless an
    # admin gave the event its own (/editevent DATE prize TEXT). Empty: the bot's own words, in each
    # shipped language ("a gift from the lottery's admins", "one ballot wins; …", "write to the admins").
    prize_text: str = Field(default="", max_length=300)
    prize_rules: str = Field(default="", max_length=300)
    prize_claim: str = Field(default="", max_length=300)

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
    def _round_r_lies_ahead(self) -> Settings:
        """Round R must be published after the freeze: with less than one quicknet period of margin it
        could already exist when the ballots are frozen, and whoever froze them could have seen it."""
        if self.draw_beacon is DrawBeaconKind.DRAND and self.draw_beacon_delay < QUICKNET_PERIOD:
            raise ValueError(f"DRAW_BEACON_DELAY must be at least {QUICKNET_PERIOD} s with DRAW_BEACON=drand")
        return self

    @model_validator(mode="after")
    def _stars_are_xtr(self) -> Settings:
        """Telegram Stars invoices are in XTR only; another CURRENCY would never match a payment."""
        if self.payment_provider is PaymentProvider.STARS and self.currency != "XTR":
            raise ValueError("CURRENCY must be XTR when PAYMENT_PROVIDER is stars")
        return self

    @model_validator(mode="after")
    def _fiat_needs_a_provider(self) -> Settings:
        """Fiat invoices need the token of a provider connected in @BotFather and a currency it takes."""
        if self.payment_provider is not PaymentProvider.TELEGRAM:
            return self
        if not self.payment_provider_token.get_secret_value().strip():
            raise ValueError("PAYMENT_PROVIDER_TOKEN is required when PAYMENT_PROVIDER is telegram")
        if self.currency not in TELEGRAM_CURRENCIES:
            raise ValueError(
                f"CURRENCY {self.currency} is not one Telegram takes for fiat payments "
                "(Stars are PAYMENT_PROVIDER=stars)"
            )
        return self

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.lottery_timezone)

    @property
    def payments_are_real(self) -> bool:
        """Real money changes hands: Telegram asks such bots for /paysupport, /terms and /privacy."""
        return self.payment_provider is not PaymentProvider.DUMMY

    @property
    def email_enabled(self) -> bool:
        return bool(self.smtp_host)

    def payment_gateway(self) -> PaymentGateway:
        if self.payment_provider is PaymentProvider.STARS:
            return StarsGateway()
        if self.payment_provider is PaymentProvider.TELEGRAM:
            return TelegramFiatGateway()
        return DummyGateway()

    def draw_policy(self) -> DrawPolicy:
        """Where draws take their randomness: drand quicknet (default) or the local commit–reveal."""
        if self.draw_beacon is DrawBeaconKind.DRAND and not self.draw_beacon_verify_bls:
            logging.getLogger(__name__).warning(
                "DRAW_BEACON_VERIFY_BLS=false: drand rounds are drawn unchecked and every record says so; "
                "meant for test mirrors only"
            )
        beacon = (
            DrandBeacon(self.draw_beacon_urls, verify_signatures=self.draw_beacon_verify_bls)
            if self.draw_beacon is DrawBeaconKind.DRAND
            else None
        )
        return DrawPolicy(
            beacon=beacon,
            delay=dt.timedelta(seconds=self.draw_beacon_delay),
            results_chat_id=self.results_channel_id,
            messages_per_second=self.messages_per_second,
        )

    def lottery_rules(self) -> LotteryRules:
        return LotteryRules(
            timezone=self.timezone,
            ballot_price=self.ballot_price,
            currency=self.currency,
            max_ballots_per_purchase=self.max_ballots_per_purchase,
            prize_text=self.prize_text.strip(),
            prize_rules=self.prize_rules.strip(),
            prize_claim=self.prize_claim.strip(),
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
