"""The Docker files keep the promises the README makes of them (no Docker engine runs here to try them)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _compose(name: str) -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _dockerfile() -> list[str]:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    return [line.strip() for line in text.replace("\\\n", " ").splitlines() if line.strip()]


def test_the_database_lives_on_the_volume_whatever_env_says() -> None:
    bot = _compose("docker-compose.yml")["services"]["bot"]
    assert bot["env_file"] == ".env"
    # `environment` wins over `env_file` in compose, so a copied .env.example cannot move the file.
    assert bot["environment"]["DATABASE_URL"] == "sqlite+aiosqlite:////data/lottery.db"
    assert "lottery-data:/data" in bot["volumes"]


def test_with_postgres_the_bot_waits_for_a_healthy_server() -> None:
    override = _compose("docker-compose.postgres.yml")["services"]
    assert override["bot"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert override["bot"]["environment"]["DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert "pg_isready" in " ".join(override["postgres"]["healthcheck"]["test"])


def test_dependencies_are_installed_before_the_code_is_copied() -> None:
    lines = _dockerfile()
    install_deps = next(i for i, line in enumerate(lines) if "pip install -r" in line)
    first_code_copy = next(i for i, line in enumerate(lines) if re.match(r"COPY (bot|core|storage)\b", line))
    copies_before = [line for line in lines[:install_deps] if line.startswith("COPY")]
    assert install_deps < first_code_copy
    assert copies_before == ["COPY pyproject.toml ./"]


def test_the_image_checks_the_heartbeat_the_bot_writes() -> None:
    lines = _dockerfile()
    [healthcheck] = [line for line in lines if line.startswith("HEALTHCHECK")]
    assert '"bot.health"' in healthcheck
    env = next(line for line in lines if line.startswith("ENV"))
    assert "HEARTBEAT_FILE=/tmp/lottery-heartbeat" in env
    assert "/tmp/lottery-heartbeat" in healthcheck


def test_compose_gives_a_stop_more_time_than_the_bot_needs() -> None:
    grace = _compose("docker-compose.yml")["services"]["bot"]["stop_grace_period"]
    assert grace == "15s"
