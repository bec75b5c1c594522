# The bot on a slim Python image, as a non-root user, with its data on a volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATABASE_URL=sqlite+aiosqlite:////data/lottery.db

RUN useradd --create-home --uid 10001 lottery && mkdir /data && chown lottery /data
WORKDIR /app

COPY pyproject.toml README.md ./
COPY bot ./bot
COPY core ./core
COPY storage ./storage
RUN pip install .

USER lottery
VOLUME ["/data"]
# SIGTERM stops the bot cleanly (exit 0); give it time to finish what is in flight.
STOPSIGNAL SIGTERM
CMD ["python", "-m", "bot"]
