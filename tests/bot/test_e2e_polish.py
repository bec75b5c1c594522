"""Issue 10's loose ends, as players meet them: /winner's arrows, "other…" answered with a bare number,
/mytickets after a cancellation, and the prize named where a player looks first."""

from __future__ import annotations

import datetime as dt

from tests.bot.harness import ADMIN, BotHarness
from tests.bot.test_e2e_buttons import buttons
from tests.support.bot_api import BotApiEmulator


async def test_winner_arrows_step_from_drawn_lottery_to_drawn_lottery(
    harness: BotHarness, api: BotApiEmulator
) -> None:
    await harness.player_with_ballots(1, 1)  # May 1
    harness.advance(dt.timedelta(hours=12))  # midnight: May 1 is drawn
    await api.wait_for_message(1, lambda t: "You won" in t)
    harness.advance(dt.timedelta(days=2))  # May 2 and May 3 pass with no lottery: no one looked
    await harness.player_with_ballots(2, 1)  # May 4
    harness.advance(dt.timedelta(days=1))  # May 4 is drawn; today is May 5
    await api.wait_for_message(2, lambda t: "You won" in t)

    api.send_command(1, "/winner 2.5.2024")
    gap = await api.wait_for_message(1)
    assert gap["text"] == "The lottery of May 2, 2024 closed with no ballots, so there was no draw."
    assert buttons(gap) == [("◀", "winner:2024-05-01"), ("▶", "winner:2024-05-04")]
    first = await harness.press(1, "winner:2024-05-01", message_id=gap["message_id"])
    assert first["text"].startswith("Lottery of May 1, 2024: the only ballot, #1, wins; it is held by P1.")
    assert buttons(first) == [("▶", "winner:2024-05-04")]  # nothing drawn before: no ◀
    latest = await harness.press(1, "winner:2024-05-04", message_id=first["message_id"])
    assert latest["text"].startswith("Lottery of May 4, 2024: the only ballot, #1, wins; it is held by P2.")
    assert buttons(latest) == [("◀", "winner:2024-05-01")]  # today, May 5, is not drawn yet: no ▶

    api.send_command(1, "/winner")
    bare = await api.wait_for_message(1)
    assert bare["text"].startswith("Lottery of May 4, 2024")
    assert buttons(bare) == [("◀", "winner:2024-05-01")]
    api.send_command(1, "/winner today")
    today = await api.wait_for_message(1)
    assert today["text"].startswith("The lottery of May 5, 2024 will be drawn in")
    assert buttons(today) == [("◀", "winner:2024-05-04")]  # back to the latest draw; nothing ahead
    api.send_command(1, "/winner 30.4.2024")
    before = await api.wait_for_message(1)
    assert before["text"] == "There was no lottery on April 30, 2024."
    assert buttons(before) == [("▶", "winner:2024-05-01")]


async def test_other_asks_how_many_and_a_bare_number_in_reply_buys_that_many(
    harness: BotHarness, api: BotApiEmulator
) -> None:
    await harness.say(1, "/start")
    await harness.say(1, "/pay 10")
    api.send_command(1, "/buy")
    picker = await api.wait_for_message(1)
    asked = await harness.press(1, "buy:2024-05-01:other", message_id=picker["message_id"])
    assert asked["text"] == "How many ballots do you want to buy? Reply with a number, e.g. 3."
    assert asked["reply_markup"] == {"force_reply": True, "input_field_placeholder": "Number of ballots"}

    def answer(text: str) -> None:
        api.send_text(1, text, reply_to=asked["message_id"])

    for bad, said in (
        ("seven", "“seven” is not a whole number. Try /buy 3"),
        ("3 4", "Give one number, e.g. /buy 3"),
        ("0", "Choose between 1 and 100 ballots."),
    ):
        answer(bad)
        assert (await api.wait_for_message(1))["text"] == said, bad
    assert "Today's ballots: none" in await harness.say(1, "/me")  # the bad answers bought nothing
    assert await harness.say(1, "7") == "I work with commands. Send /help to see them."  # not a reply
    answer("7")
    bought = await api.wait_for_message(1)
    assert bought["text"].startswith("You bought 7 ballots for May 1, 2024: #1–#7.")


async def test_other_in_the_pay_picker_takes_a_number_in_reply(
    harness: BotHarness, api: BotApiEmulator
) -> None:
    await harness.say(1, "/start")
    api.send_command(1, "/pay")
    picker = await api.wait_for_message(1)
    asked = await harness.press(1, "pay:other", message_id=picker["message_id"])
    assert asked["reply_markup"] == {"force_reply": True, "input_field_placeholder": "Number of ballots"}
    api.send_text(1, "-3", reply_to=asked["message_id"])
    assert "between 1 and" in (await api.wait_for_message(1))["text"]
    api.send_text(1, "3", reply_to=asked["message_id"])
    assert "Payment received" in (await api.wait_for_message(1))["text"]
    assert "You bought 3 ballots" in await harness.say(1, "/buy 3")
    api.send_text(1, "3", reply_to=picker["message_id"])  # a reply to another of the bot's messages
    assert (await api.wait_for_message(1))["text"] == "I work with commands. Send /help to see them."


async def test_after_a_cancellation_mytickets_says_the_ballots_were_refunded_and_lists_no_receipts(
    harness: BotHarness, api: BotApiEmulator
) -> None:
    await harness.player_with_ballots(1, 2)
    await harness.say(3, "/start", first_name="Аня", language_code="ru")
    await harness.say(3, "/pay 1")
    await harness.say(3, "/buy 1")
    listed = await harness.say(1, "/mytickets")
    assert listed.startswith("Your 2 ballots today, each with its private receipt:\n#1 ")
    receipt = listed.splitlines()[1].split()[1]
    await harness.say(ADMIN, "/start")
    assert "cancelled" in await harness.say(ADMIN, "/cancelevent 2024-05-01")
    await api.wait_for_message(1, lambda t: "cancelled" in t)
    after = await harness.say(1, "/mytickets")
    assert after == "Today's lottery was cancelled: your 2 ballots were refunded to your credit."
    assert receipt not in after
    await api.wait_for_message(3, lambda t: "отменена" in t)
    assert await harness.say(3, "/mytickets") == (
        "Сегодняшняя лотерея отменена: ваш 1 билет возвращён на баланс."
    )


async def test_start_names_todays_prize_and_winner_names_the_prize_that_was_won(
    harness: BotHarness, api: BotApiEmulator
) -> None:
    await harness.say(ADMIN, "/start")
    await harness.say(ADMIN, "/editevent 2024-05-01 prize a weekend in Riga")
    welcome = await harness.say(1, "/start", first_name="Ann")
    assert welcome.splitlines()[-1] == "Today's prize: a weekend in Riga."
    russian = await harness.say(2, "/start", first_name="Борис", language_code="ru")
    assert russian.splitlines()[-1] == "Приз сегодня: a weekend in Riga."
    await harness.say(1, "/pay 1")
    await harness.say(1, "/buy 1")
    harness.advance(dt.timedelta(hours=12))  # midnight: May 1 is drawn; May 2 has the configured prize
    await api.wait_for_message(1, lambda t: "You won" in t)
    assert await harness.say(1, "/winner") == (
        "Lottery of May 1, 2024: the only ballot, #1, wins; it is held by Ann.\nPrize won: a weekend in Riga."
    )
    assert (await harness.say(2, "/winner 1.5.2024")).endswith("\nВыигрыш: a weekend in Riga.")
    assert (await harness.say(1, "/start")).endswith("\nToday's prize: a gift from the lottery's admins.")
