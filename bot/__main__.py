"""`python -m bot` / `lottery-bot`: run the bot; `lottery-bot migrate`: only update the schema."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.app import LotteryBot
from bot.settings import ConfigurationError, Settings, load_settings
from core.service import LotteryService


class RedactSecrets(logging.Filter):
    """Belt and braces: the token is in every Bot API URL, so no log line may ever carry it."""

    def __init__(self, *secrets: str) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(secret in message for secret in self._secrets):
            for secret in self._secrets:
                message = message.replace(secret, "<redacted>")
            record.msg, record.args = message, None
        return True


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(settings.telegram_bot_token.get_secret_value()))
    logging.basicConfig(level=settings.log_level, handlers=[handler], force=True)
    # httpx logs every request URL at INFO, and the URL contains the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


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
    configure_logging(settings)
    if command == "migrate":
        asyncio.run(_migrate(settings))
        print("lottery-bot: the database schema is up to date")
        return 0
    lottery = LotteryService.connect(settings.database_url, rules=settings.lottery_rules())
    LotteryBot(settings, lottery).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
