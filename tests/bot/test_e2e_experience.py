"""One or two taps to play, no surprises: pickers, confirmations, stale buttons, days, groups."""

from __future__ import annotations

import asyncio
import datetime as dt

from tests.bot.harness import ADMIN, BotHarness
from tests.bot.test_e2e_buttons import buttons
from tests.support.bot_api import BotApiEmulator

GROUP = -100


async def test_start_greets_in_two_lines_with_buttons_that_lead_on(
    harness: BotHarness, api: BotApiEmulator
) -> None:
    api.send_command(1, "/start", first_name="Ann")
    welcome = await api.wait_for_message(1)
    assert welcome["text"].count("\n") == 2
    assert welcome["text"].endswith("\nToday's prize: a gift from the lottery's admins.")
    assert "a ballot costs ⭐ 10" in welcome["text"]
    assert buttons(welcome) == [
        ("How it works", "start:how"),
        ("Today's lottery", "start:today"),
        ("Buy", "start:buy"),
    ]
    how = await harness.press(1, "start:how", message_id=welcome["message_id"])
    assert "up to 100 ballots in one purchase" in how["text"]
    assert "drawn at midnight (UTC), in 12 hours" in how["text"]
    today = await harness.press(1, "start:today", message_id=welcome["message_id"])
    assert today["text"] == (
        "Today, May 1, 2024: 0 ballots so far, ⭐ 10 each. Drawn in 12 hours.\n"
        "Prize: a gift from the lottery's admins. "
        "One ballot wins; the more ballots you hold, the better your chance."
    )
    picker = await harness.press(1, "start:buy", message_id=welcome["message_id"])
    assert [label for label, _ in buttons(picker)] == ["1", "5", "10", "other…"]


async def test_bare_buy_shows_a_picker_and_buys_nothing_until_chosen(
    harness: BotHarness, api: BotApiEmulator
) -> None:
    await harness.say(1, "/start")
    await harness.say(1, "/pay 2")
    api.send_command(1, "/buy")
    picker = await api.wait_for_message(1)
    assert picker["text"] == "How many ballots do you want to buy? Nothing is spent until you choose."
    assert buttons(picker) == [
        ("1", "buy:2024-05-01:1"),
        ("5", "buy:2024-05-01:5"),
        ("10", "buy:2024-05-01:10"),
        ("other…", "buy:2024-05-01:other"),
    ]
    assert "Today's ballots: none" in await harness.say(1, "/me")
    other = await harness.press(1, "buy:2024-05-01:other", message_id=picker["message_id"])
    assert other["text"] == "How many ballots do you want to buy? Reply with a number, e.g. 3."
    bought = await harness.press(1, "buy:2024-05-01:1", message_id=picker["message_id"])
    assert bought["text"].startswith("You bought 1 ballot for May 1, 2024: #1.")  # and joined on the way
    used = api.bot_message(1, picker["message_id"])
    assert used is not None
    assert "reply_markup" not in used  # the used keyboard is gone


async def test_a_buy_button_from_another_day_expires_and_buys_nothing(
    harness: BotHarness, api: BotApiEmulator
) -> None:
    await harness.say(1, "/start")
    await harness.say(1, "/pay 3")
    api.send_command(1, "/buy")
    picker = await api.wait_for_message(1)
    harness.advance(dt.timedelta(days=1))
    api.press_button(1, "buy:2024-05-01:1", message_id=picker["message_id"])
    answer = await api.wait_for_call("answerCallbackQuery")
    assert (
        answer["text"]
        == "This button was for the lottery of May 1, 2024, which is over. Send the command again."
    )
    assert answer["show_alert"] is True
    assert "Credit: ⭐ 30" in await harness.say(1, "/me")


async def test_close_asks_first_and_cancel_closes_nothing(harness: BotHarness, api: BotApiEmulator) -> None:
    await harness.player_with_ballots(1, 3)
    api.send_command(ADMIN, "/close")
    question = await api.wait_for_message(ADMIN)
    assert (
        question["text"] == "Close and draw now? This cannot be undone.\nMay 1, 2024: 3 ballots in the draw"
    )
    cancelled = await harness.press(ADMIN, "close:no", message_id=question["message_id"])
    assert cancelled == {
        **cancelled,
        "method": "editMessageText",
        "text": "Nothing was closed.",
        "reply_markup": None,
    }
    assert "will be drawn in 12 hours. 3 ballots so far." in await harness.say(1, "/winner today")
    # Yes pressed after Cancel (a second device, a second admin) closes nothing: the question is answered.
    yes = str(question["reply_markup"]["inline_keyboard"][0][0]["callback_data"])  # type: ignore[index]
    assert yes == "close:2024-05-01:3"
    api.press_button(ADMIN, yes, message_id=question["message_id"])
    answered = await _alert(api)
    assert str(answered["text"]).startswith("This question was answered already")
    assert "3 ballots so far" in await harness.say(1, "/winner today")
    # A question overtaken by new ballots closes nothing either: the admin sees what would close first.
    api.send_command(ADMIN, "/close")
    overtaken = await api.wait_for_message(ADMIN)
    await harness.player_with_ballots(2, 1)
    api.press_button(ADMIN, "close:2024-05-01:3", message_id=overtaken["message_id"])
    refused = await _alert(api)
    assert str(refused["text"]).startswith("Ballots were bought since you asked")
    assert "4 ballots so far" in await harness.say(1, "/winner today")
    # A question left open overnight closes nothing the next day.
    api.send_command(ADMIN, "/close")
    stale = await api.wait_for_message(ADMIN)
    harness.advance(dt.timedelta(days=1))
    await api.wait_for_message(1, lambda t: "May 1, 2024" in t)  # the midnight draw's notice
    api.press_button(ADMIN, "close:2024-05-01", message_id=stale["message_id"])
    expired = await _alert(api)
    assert str(expired["text"]).startswith("This button was for the lottery of May 1, 2024")
    # The stale press drew nothing: today's (May 2) lottery is still open.
    assert "May 2, 2024 will be drawn in 12 hours" in await harness.say(1, "/winner today")


async def _alert(api: BotApiEmulator) -> dict[str, object]:
    """The next answer to a button press that says something (a plain acknowledgement says nothing)."""
    while not (answer := await api.wait_for_call("answerCallbackQuery")).get("text"):
        pass
    return answer


async def test_winner_reads_days_as_people_type_them_and_walks_with_arrows(
    harness: BotHarness, api: BotApiEmulator
) -> None:
    await harness.player_with_ballots(1, 1)
    harness.advance(dt.timedelta(hours=12))  # midnight: May 1 is drawn
    await api.wait_for_message(1, lambda t: "You won" in t)
    await harness.say(1, "/events")  # someone looks: May 2's lottery exists
    harness.advance(dt.timedelta(days=1))  # May 2 closes with no ballots; today is May 3
    while (await harness.lottery.closing.winner_on(dt.date(2024, 5, 2))).status == "open":  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    for typed in ("yesterday", "2.5.2024", "2024-5-2", "thursday"):
        assert "May 2, 2024 closed with no ballots" in await harness.say(1, f"/winner {typed}"), typed
    api.send_command(1, "/winner 1.5.2024")
    first = await api.wait_for_message(1)
    assert first["text"] == (
        "Lottery of May 1, 2024: the only ballot, #1, wins; it is held by P1.\n"
        "Prize won: a gift from the lottery's admins."
    )
    assert first["reply_markup"] is None  # nothing drawn before May 1, nor after it: no arrows
    following = await harness.press(1, "winner:2024-05-02", message_id=first["message_id"])  # an old ▶
    assert "closed with no ballots" in following["text"]
    assert buttons(following) == [("◀", "winner:2024-05-01")]  # no ▶ into today, not drawn yet
    assert await harness.say(1, "/winner 5.5.2024") == ("The lottery of May 5, 2024 will be drawn in 3 days.")


async def test_in_groups_replies_quote_the_asker_and_private_things_link_to_a_private_chat(
    harness: BotHarness, api: BotApiEmulator
) -> None:
    api.send_command(1, "/events", chat_type="group", chat_id=GROUP)
    asked = api.user_messages[-1]["message_id"]
    events = await api.wait_for_message(GROUP)
    assert events["reply_to"] == asked
    api.send_command(1, "/buy 1", chat_type="group", chat_id=GROUP)
    pointer = await api.wait_for_message(GROUP)
    assert pointer["text"] == "Let's do that in a private chat: tap the button to open one with me."
    markup = pointer["reply_markup"]
    assert markup is not None
    [[button]] = markup["inline_keyboard"]
    assert button["url"] == f"https://t.me/{api.bot_user['username']}?start=buy"
    api.send_command(1, "/help", chat_type="group", chat_id=GROUP)
    group_help = (await api.wait_for_message(GROUP))["text"]
    assert "/winner" in group_help
    assert "/buy" not in group_help
    assert "/close" not in group_help
    # The deep link's /start buy greets and offers the picker at once.
    await harness.say(1, "/start buy")
    picker = await api.wait_for_message(1)
    assert picker["text"].startswith("How many ballots do you want to buy?")


async def test_an_admins_group_help_lists_no_admin_commands(harness: BotHarness, api: BotApiEmulator) -> None:
    assert "/close" in await harness.say(ADMIN, "/help")
    api.send_command(ADMIN, "/help", chat_type="group", chat_id=GROUP)
    assert "/close" not in (await api.wait_for_message(GROUP))["text"]


async def test_an_admins_menu_is_set_when_they_first_write(harness: BotHarness, api: BotApiEmulator) -> None:
    """At start-up Telegram refuses an admin's chat scope until they have opened a chat with the bot."""
    admin_scope = {"type": "chat", "chat_id": ADMIN}
    api.commands_by_scope.clear()  # as if every chat scope had been refused at start-up
    await harness.say(1, "/help")
    assert api.commands(admin_scope) == []
    await harness.say(ADMIN, "/help", language_code="ru")
    assert "close" in [c["command"] for c in api.commands(admin_scope)]
    assert "Закрыть лотереи и разыграть сейчас" in [c["description"] for c in api.commands(admin_scope, "ru")]


async def test_players_never_see_internal_transaction_ids(harness: BotHarness) -> None:
    await harness.say(1, "/start")
    paid = await harness.say(1, "/pay 1")
    assert paid.startswith("Payment received: ⭐ 10.")
    assert "dummy" not in paid


async def test_a_garbled_day_on_a_button_is_refused_politely(
    harness: BotHarness, api: BotApiEmulator
) -> None:
    await harness.say(1, "/start")
    api.send_command(1, "/buy")
    picker = await api.wait_for_message(1)
    for data in ("buy:2024-13-45:1", "winner:2024-02-31"):
        api.press_button(1, data, message_id=picker["message_id"])
        answer = await api.wait_for_call("answerCallbackQuery")
        assert answer["text"] == "This button has expired. Send the command again.", data
    assert "Today's ballots: none" in await harness.say(1, "/me")


async def test_cancel_pressed_after_yes_says_the_question_was_answered(
    harness: BotHarness, api: BotApiEmulator
) -> None:
    """A second device or a second admin pressing Cancel after Yes must not claim nothing was closed."""
    await harness.player_with_ballots(1, 2)
    assert "wins" in await harness.close_now()
    question = [m for m in api.sent_messages(ADMIN) if m["text"].startswith("Close and draw")][-1]
    api.press_button(ADMIN, "close:no", message_id=question["message_id"])
    answered = await _alert(api)
    assert str(answered["text"]).startswith("This question was answered already")
    edits = [m for m in api.sent_messages(ADMIN) if m["method"] == "editMessageText"]
    assert not [m for m in edits if m["text"] == "Nothing was closed."]
