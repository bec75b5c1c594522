"""Winners are named in public only as they chose under /me: first name by default, never the
@username unless they opt in, or not at all."""

from __future__ import annotations

import pytest

from tests.bot.harness import BotHarness
from tests.support.bot_api import BotApiEmulator, SentMessage

pytestmark = pytest.mark.e2e

GROUP = -100555


def buttons(message: SentMessage) -> list[tuple[str, str]]:
    markup = message["reply_markup"] or {}
    return [(b["text"], b["callback_data"]) for row in markup.get("inline_keyboard", []) for b in row]


async def winner_in_group(harness: BotHarness, api: BotApiEmulator) -> str:
    api.send_command(2, "/winner", chat_type="group", chat_id=GROUP)
    return (await api.wait_for_message(GROUP))["text"]


async def choose(harness: BotHarness, api: BotApiEmulator, label: str) -> str:
    """Choose under /me; the question's message is edited into the confirmation, whose text is returned."""
    api.send_command(1, "/me")
    # Notices of the draw may arrive in between: wait for the messages by what they say.
    me = await api.wait_for_message(1, lambda t: t.startswith(("Name:", "Имя:")))
    [(_, ask)] = buttons(me)
    api.press_button(1, ask, message_id=me["message_id"])
    question = await api.wait_for_message(1, lambda t: "/winner" in t)
    [data] = [data for text, data in buttons(question) if text == label]
    api.press_button(1, data, message_id=question["message_id"])
    edit = await api.wait_for_call("editMessageText")
    assert edit["message_id"] == question["message_id"]
    edited = api.bot_message(1, question["message_id"])
    assert edited is not None
    return str(edited["text"])


async def test_a_winner_is_named_by_first_name_until_they_choose_otherwise(
    harness: BotHarness, api: BotApiEmulator
) -> None:
    await harness.say(1, "/start", first_name="Ann", username="ann_secret")
    me = await harness.say(1, "/me")
    assert "If you win, results name you: Ann" in me
    await harness.say(1, "/pay 1")
    await harness.say(1, "/buy 1")
    await harness.close_now()

    shown = await winner_in_group(harness, api)
    assert "held by Ann." in shown
    assert "ann_secret" not in shown

    chosen = await choose(harness, api, "First name and @username")
    assert chosen == "Saved. If you win, results name you: Ann (@ann_secret)"
    api.send_command(1, "/winner")
    assert "held by Ann (@ann_secret)." in (await api.wait_for_message(1, lambda t: "held by" in t))["text"]

    chosen = await choose(harness, api, "Anonymous: “a player”")
    assert chosen == "Saved. If you win, results name you: a player"
    shown = await winner_in_group(harness, api)
    assert "held by a player." in shown
    assert "Ann" not in shown


async def test_the_choice_reads_russian_and_survives_a_restart(
    harness: BotHarness, api: BotApiEmulator
) -> None:
    await harness.say(1, "/start", first_name="Аня", username="anya", language_code="ru")
    await harness.say(1, "/pay 1")
    await harness.say(1, "/buy 1")
    chosen = await choose(harness, api, "Анонимно: «игрок»")
    assert chosen == "Сохранено. Если вы выиграете, в результатах вас назовут так: игрок"
    await harness.restart()
    assert "в результатах вас назовут так: игрок" in await harness.say(1, "/me")
    await harness.close_now()
    api.send_command(1, "/winner")
    shown = (await api.wait_for_message(1, lambda t: "его владелец" in t))["text"]
    assert shown.splitlines()[0].endswith("его владелец — игрок.")
    assert "Аня" not in shown


async def test_a_deleted_winner_is_a_player(harness: BotHarness, api: BotApiEmulator) -> None:
    await harness.say(1, "/start", first_name="Ann", username="ann")
    await harness.say(1, "/pay 1")
    await harness.say(1, "/buy 1")
    await harness.close_now()
    await api.wait_for_message(1, lambda t: "You won" in t)
    api.send_command(1, "/deleteme")
    question = await api.wait_for_message(1)
    api.press_button(1, "deleteme:yes", message_id=question["message_id"])
    assert "deleted" in (await api.wait_for_call("editMessageText"))["text"]
    shown = await winner_in_group(harness, api)
    assert (
        shown.splitlines()[0] == "Lottery of May 1, 2024: the only ballot, #1, wins; it is held by a player."
    )
