"""The Telegram front end: handlers, scheduling and notifications on python-telegram-bot v22."""

import os

# Opt in to python-telegram-bot's timedelta durations (its future default) before it is imported,
# so RetryAfter.retry_after is one type everywhere and no deprecation warning fires per 429.
os.environ.setdefault("PTB_TIMEDELTA", "1")
