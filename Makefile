# Two commands set everything up on a fresh machine:
#   make run    installs the bot into .venv and runs it (SQLite by default; needs TELEGRAM_BOT_TOKEN)
#   make test   installs the bot and its test tools into .venv, then runs the checks and the tests
# `make test` runs the suite on SQLite, then again on PostgreSQL at $(POSTGRES_URL).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
POSTGRES_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/postgres

.PHONY: install run migrate test lint test-sqlite test-postgres bench clean i18n

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/lottery-bot

migrate: install
	$(BIN)/lottery-bot migrate

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test-sqlite: install
	$(BIN)/pytest

test-postgres: install
	TEST_DATABASE_URL=$(POSTGRES_URL) $(BIN)/pytest

test: lint test-sqlite test-postgres

bench: install
	$(BIN)/python -m bench.purchases
	$(BIN)/python -m bench.draw
	$(BIN)/python -m bench.winners
	$(BIN)/python -m bench.bot_purchases
	$(BIN)/python -m bench.delivery
	$(BIN)/python -m bench.commands
	$(BIN)/python -m bench.commands --database-url $(POSTGRES_URL)
	$(BIN)/python -m bench.plans
	$(BIN)/python -m bench.scale
	$(BIN)/python -m bench.scale --database-url $(POSTGRES_URL)
	$(BIN)/python -m bench.end_to_end
	$(BIN)/python -m bench.end_to_end --database-url $(POSTGRES_URL)
	$(BIN)/python -m bench.throttle

# Re-extract every message into the template and merge it into each language's catalogue.
# The bot reads the .po files at start-up, so there is nothing to compile.
i18n: install
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output --project lottery-bot -o bot/locales/messages.pot .
	$(BIN)/pybabel update -i bot/locales/messages.pot -d bot/locales --ignore-obsolete

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
