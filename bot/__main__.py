"""`python -m bot` / `lottery-bot`: run the bot; `lottery-bot migrate`: only update the schema."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from telegram.error import InvalidToken, TelegramError

from bot.app import LotteryBot
from bot.settings import ConfigurationError, Settings, load_settings
from core.service import LotteryService
from storage.database import DatabaseUnusable, check_usable


class RedactSecrets(logging.Filter):
    """Belt and braces: the token is in every Bot API URL, so no log line may ever carry it."""

    def __init__(self, *secrets: str) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(secret in message for secret in self._secrets):
            record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            # Tracebacks quote exception messages, and PTB's InvalidToken quotes the token itself.
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
        return True

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "<redacted>")
        return text


def configure_logging(settings: Settings) -> RedactSecrets:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    redactor = RedactSecrets(settings.telegram_bot_token.get_secret_value())
    handler.addFilter(redactor)
    logging.basicConfig(level=settings.log_level, handlers=[handler], force=True)
    # httpx logs every request URL at INFO, and the URL contains the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    return redactor


async def _migrate(settings: Settings) -> None:
    lottery = LotteryService.connect(settings.database_url, rules=settings.lottery_rules())
    try:
        await lottery.migrate()
    finally:
        await lottery.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lottery-bot", description="A daily Telegram lottery.")
    parser.add_argument("command", nargs="?", choices=["run", "migrate"], default="run")
    command = parser.parse_args(argv).command
    try:
        settings = load_settings(require_token=command == "run")
    except ConfigurationError as problem:
        print(f"lottery-bot: {problem}", file=sys.stderr)
        return 2
    redactor = configure_logging(settings)
    try:
        asyncio.run(check_usable(settings.database_url))
    except DatabaseUnusable as problem:
        print(f"lottery-bot: {redactor.redact(str(problem))}", file=sys.stderr)
        return 2
    if command == "migrate":
        asyncio.run(_migrate(settings))
        print("lottery-bot: the database schema is up to date")
        return 0
    lottery = LotteryService.connect(
        settings.database_url,
        rules=settings.lottery_rules(),
        gateway=settings.payment_gateway(),
        draws=settings.draw_policy(),
    )
    try:
        LotteryBot(settings, lottery).run()
    except InvalidToken:
        print(
            "lottery-bot: Telegram rejected TELEGRAM_BOT_TOKEN "
            "(or TELEGRAM_API_BASE_URL does not point at a Bot API server)",
            file=sys.stderr,
        )
        return 2
    except TelegramError as failure:
        print(f"lottery-bot: could not start: {redactor.redact(str(failure))}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
