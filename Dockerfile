# The bot on a slim Python image, as a non-root user, with its data on a volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATABASE_URL=sqlite+aiosqlite:////data/lottery.db \
    HEARTBEAT_FILE=/tmp/lottery-heartbeat

RUN useradd --create-home --uid 10001 lottery && mkdir /data && chown lottery /data
WORKDIR /app

# Dependencies in a layer of their own, read from pyproject.toml: a change to the code alone reuses it.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt

COPY README.md ./
COPY bot ./bot
COPY core ./core
COPY storage ./storage
RUN pip install --no-deps .

USER lottery
VOLUME ["/data"]
# The job queue rewrites the heartbeat every 30 s; older than 90 s means a stuck loop or scheduler.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot.health", "/tmp/lottery-heartbeat"]
# SIGTERM stops the bot cleanly (exit 0) within 10 s: notices never wait out a 429 inside a send, and
# sends still unanswered a second after the signal are abandoned and handed back; compose gives it 15 s.
STOPSIGNAL SIGTERM
CMD ["python", "-m", "bot"]
