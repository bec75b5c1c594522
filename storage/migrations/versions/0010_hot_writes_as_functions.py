"""hot writes as functions: on PostgreSQL, /start, /join, a payment's credit and /buy are one call each

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25

Each hot write was a transaction of three to seven statements, each a round trip between the bot and
the server (with BEGIN and COMMIT, 5 to 9 of them); a function runs the same guarded statements inside
the server, as one statement and so one transaction, in one round trip. storage.postgres calls them.
SQLite runs the same statements as one function in its own process (storage.joining, storage.payments,
storage.purchases), so nothing here applies to it. The suite runs on both backends and holds them to
the same results.

Each function is `#variable_conflict use_column`: its output columns share names with table columns,
and inside a statement a name is always the table's column.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The event's columns, in the order storage.reads reads an event row.
_EVENT = """
    event_id bigint, day date, title varchar, price bigint, currency varchar, status varchar,
    ballot_count integer, winning_number integer, participant_count integer,
    prize varchar, prize_rules varchar
"""

_REGISTER = f"""
CREATE FUNCTION lottery_register(
    p_telegram_id bigint, p_username varchar, p_first_name varchar, p_language varchar,
    p_now timestamptz, p_day date, p_numbers integer
) RETURNS TABLE (
    created boolean, player_id bigint, username varchar, first_name varchar, email varchar,
    balance bigint, public_name varchar, {_EVENT}, held integer, first_numbers integer[]
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_created boolean := false;
BEGIN
    -- Add the player unless known; a known player's names are refreshed when Telegram's changed.
    INSERT INTO players (telegram_id, username, first_name, telegram_language, balance, created_at)
    VALUES (p_telegram_id, p_username, p_first_name, p_language, 0, p_now)
    ON CONFLICT (telegram_id) DO NOTHING;
    v_created := FOUND;
    IF NOT v_created THEN
        UPDATE players SET username = p_username, first_name = p_first_name
        WHERE telegram_id = p_telegram_id
          AND (username IS DISTINCT FROM p_username OR first_name IS DISTINCT FROM p_first_name);
    END IF;
    -- Their profile: today's event, how many ballots they hold in it, and the first of their numbers.
    RETURN QUERY
    SELECT v_created, players.id, players.username, players.first_name, players.email, players.balance,
           players.public_name, events.id, events.day, events.title, events.price, events.currency,
           events.status, events.ballot_count, events.winning_number, events.participant_count,
           events.prize, events.prize_rules,
           coalesce(registrations.ballots, 0),
           CASE WHEN coalesce(registrations.ballots, 0) > 0 THEN ARRAY(
               SELECT ballots.number FROM ballots
               WHERE ballots.player_id = players.id AND ballots.event_id = events.id
               ORDER BY ballots.number LIMIT p_numbers
           ) ELSE ARRAY[]::integer[] END
    FROM players
    LEFT JOIN events ON events.day = p_day
    LEFT JOIN registrations ON registrations.event_id = events.id AND registrations.player_id = players.id
    WHERE players.telegram_id = p_telegram_id;
END
$$
"""

_JOIN = f"""
CREATE FUNCTION lottery_join(
    p_telegram_id bigint, p_day date, p_title varchar, p_price bigint, p_currency varchar,
    p_now timestamptz, p_secret varchar, p_commitment varchar
) RETURNS TABLE (outcome text, newly_joined boolean, {_EVENT}) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_player bigint;
    v_event events%ROWTYPE;
    v_outcome text := 'joined';
    v_new boolean := false;
BEGIN
    SELECT id INTO v_player FROM players WHERE telegram_id = p_telegram_id;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'unknown'::text, false, NULL::bigint, NULL::date, NULL::varchar, NULL::bigint,
            NULL::varchar, NULL::varchar, NULL::integer, NULL::integer, NULL::integer, NULL::varchar,
            NULL::varchar;
        RETURN;
    END IF;
    -- The event of the day, made on demand with its local commit-reveal secret (storage.joining).
    SELECT * INTO v_event FROM events WHERE day = p_day;
    IF NOT FOUND THEN
        INSERT INTO events (day, title, price, currency, status, ballot_count, participant_count,
                            created_at, draw_secret, draw_commitment)
        VALUES (p_day, p_title, p_price, p_currency, 'open', 0, 0, p_now, p_secret, p_commitment)
        ON CONFLICT (day) DO NOTHING;
        SELECT * INTO v_event FROM events WHERE day = p_day;
    END IF;
    IF v_event.status <> 'open' THEN
        v_outcome := 'closed';
    ELSE
        -- Only the registration that adds the player raises the count: joining twice changes nothing.
        INSERT INTO registrations (event_id, player_id, joined_at) VALUES (v_event.id, v_player, p_now)
        ON CONFLICT (event_id, player_id) DO NOTHING;
        v_new := FOUND;
        IF v_new THEN
            UPDATE events SET participant_count = participant_count + 1 WHERE id = v_event.id
            RETURNING participant_count INTO v_event.participant_count;
        END IF;
    END IF;
    RETURN QUERY SELECT v_outcome, v_new, v_event.id, v_event.day, v_event.title, v_event.price,
        v_event.currency, v_event.status, v_event.ballot_count, v_event.winning_number,
        v_event.participant_count, v_event.prize, v_event.prize_rules;
END
$$
"""

_CREDIT = """
CREATE FUNCTION lottery_credit(
    p_telegram_id bigint, p_provider varchar, p_charge_id varchar, p_amount bigint, p_currency varchar,
    p_now timestamptz
) RETURNS TABLE (outcome text, payment_id bigint, amount bigint, currency varchar, balance bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_player bigint;
    v_payment bigint;
    v_balance bigint;
BEGIN
    -- The charge id's uniqueness is the guard: only the insert that adds the payment credits it.
    SELECT id INTO v_player FROM players WHERE telegram_id = p_telegram_id;
    IF NOT FOUND OR EXISTS (SELECT 1 FROM orphan_payments WHERE charge_id = p_charge_id) THEN
        RETURN QUERY SELECT 'none'::text, NULL::bigint, NULL::bigint, NULL::varchar, NULL::bigint;
        RETURN;
    END IF;
    INSERT INTO payments (player_id, provider, charge_id, amount, currency, status, created_at)
    VALUES (v_player, p_provider, p_charge_id, p_amount, p_currency, 'credited', p_now)
    ON CONFLICT (charge_id) DO NOTHING RETURNING id INTO v_payment;
    IF v_payment IS NULL THEN
        RETURN QUERY SELECT 'known'::text, payments.id, payments.amount, payments.currency, players.balance
        FROM payments JOIN players ON players.id = v_player WHERE payments.charge_id = p_charge_id;
        RETURN;
    END IF;
    -- Guarded by the telegram id too: a deleted player's row (telegram id cleared) is never credited.
    UPDATE players SET balance = balance + p_amount WHERE id = v_player AND telegram_id = p_telegram_id
    RETURNING balance INTO v_balance;
    IF v_balance IS NULL THEN
        DELETE FROM payments WHERE id = v_payment;
        RETURN QUERY SELECT 'none'::text, NULL::bigint, NULL::bigint, NULL::varchar, NULL::bigint;
        RETURN;
    END IF;
    INSERT INTO ledger_entries (player_id, kind, amount, payment_id, created_at)
    VALUES (v_player, 'payment', p_amount, v_payment, p_now);
    RETURN QUERY SELECT 'credited'::text, v_payment, p_amount, p_currency, v_balance;
END
$$
"""

_BUY = """
CREATE FUNCTION lottery_buy(
    p_day date, p_telegram_id bigint, p_quantity integer, p_now timestamptz, p_receipts varchar[]
) RETURNS TABLE (
    outcome text, event_id bigint, player_id bigint, first_number integer, last_number integer,
    price bigint, currency varchar, balance bigint, prize varchar, prize_rules varchar
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_event events%ROWTYPE;
    v_player bigint;
    v_balance bigint;
    v_cost bigint;
    v_last integer;
BEGIN
    IF cardinality(p_receipts) IS DISTINCT FROM p_quantity THEN
        RAISE EXCEPTION 'lottery_buy: % receipts for % ballots', cardinality(p_receipts), p_quantity;
    END IF;
    -- The event first, as on SQLite: only an open event the player joined, locked until the commit (as
    -- the UPDATE that reserves numbers would lock it: FOR NO KEY UPDATE, so rows that merely refer to the
    -- event, such as a new registration, do not wait), so a close waits for this purchase, and numbers
    -- are handed out in the order purchases lock it. A refusal below has then written nothing.
    SELECT * INTO v_event FROM events
    WHERE day = p_day AND status = 'open' AND EXISTS (
        SELECT 1 FROM registrations JOIN players ON players.id = registrations.player_id
        WHERE registrations.event_id = events.id AND players.telegram_id = p_telegram_id
    )
    FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'not_reserved'::text, NULL::bigint, NULL::bigint, NULL::integer,
            NULL::integer, NULL::bigint, NULL::varchar, NULL::bigint, NULL::varchar, NULL::varchar;
        RETURN;
    END IF;
    v_cost := p_quantity * v_event.price;
    -- Then the debit, only if the balance covers it; a refusal has changed nothing.
    UPDATE players SET balance = balance - v_cost WHERE telegram_id = p_telegram_id AND balance >= v_cost
    RETURNING id, balance INTO v_player, v_balance;
    IF v_player IS NULL THEN
        RETURN QUERY SELECT 'unaffordable'::text, v_event.id, NULL::bigint, NULL::integer, NULL::integer,
            v_event.price, v_event.currency, NULL::bigint, v_event.prize, v_event.prize_rules;
        RETURN;
    END IF;
    UPDATE events SET ballot_count = ballot_count + p_quantity WHERE id = v_event.id
    RETURNING ballot_count INTO v_last;
    INSERT INTO ballots (event_id, number, player_id, created_at, receipt)
    SELECT v_event.id, v_last - p_quantity + issued.n::integer, v_player, p_now, issued.receipt
    FROM unnest(p_receipts) WITH ORDINALITY AS issued(receipt, n);
    UPDATE registrations SET ballots = ballots + p_quantity
    WHERE event_id = v_event.id AND player_id = v_player;
    INSERT INTO ledger_entries (player_id, kind, amount, quantity, event_id, created_at)
    VALUES (v_player, 'purchase', -v_cost, p_quantity, v_event.id, p_now);
    RETURN QUERY SELECT 'bought'::text, v_event.id, v_player, v_last - p_quantity + 1, v_last,
        v_event.price, v_event.currency, v_balance, v_event.prize, v_event.prize_rules;
END
$$
"""

_SIGNATURES = (
    "lottery_register(bigint, varchar, varchar, varchar, timestamptz, date, integer)",
    "lottery_join(bigint, date, varchar, bigint, varchar, timestamptz, varchar, varchar)",
    "lottery_credit(bigint, varchar, varchar, bigint, varchar, timestamptz)",
    "lottery_buy(date, bigint, integer, timestamptz, varchar[])",
)


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    for function in (_REGISTER, _JOIN, _CREDIT, _BUY):
        op.execute(function)


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    for signature in _SIGNATURES:
        op.execute(f"DROP FUNCTION {signature}")
