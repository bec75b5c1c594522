"""Players read the bot in their own language, with amounts, counts and days written its way."""

from __future__ import annotations

import re

from bot.handlers.language import LanguageMemory
from core.clock import FixedClock
from tests.bot.harness import ADMIN, BotHarness
from tests.support.bot_api import BotApiEmulator


async def test_a_russian_player_reads_russian_from_start_to_purchase(harness: BotHarness) -> None:
    welcome = await harness.say(1, "/start", first_name="Аня", language_code="ru")
    assert welcome.startswith(
        "Добро пожаловать, Аня! Вы зарегистрированы.\nОдна лотерея в день: билет стоит 10 ⭐"
    )
    assert "/buy N – купить N билетов с баланса" in await harness.say(1, "/help")
    joined = await harness.say(1, "/join")
    assert joined.startswith("Вы участвуете: лотерея 1 мая 2024. Пока 1 участник.")
    assert "Билет стоит 10 ⭐." in joined
    assert "Платёж получен: 20 ⭐." in await harness.say(1, "/pay 2")
    bought = await harness.say(1, "/buy 2")
    assert "Вы купили 2 билета на 1 мая 2024: №1, №2." in bought
    assert "Потрачено 20 ⭐; на балансе осталось 0 ⭐. Удачи!" in bought
    refused = await harness.say(1, "/buy 5")
    assert refused == "Недостаточно средств: нужно 50 ⭐, а на балансе 0 ⭐. Пополните через /pay."
    assert "«x» — не целое число" in await harness.say(1, "/buy x")
    # email-validator explains in English only: a Russian reply leaves its reason out.
    refused_email = await harness.say(1, "/email ann@@example.com")
    assert refused_email.startswith("Это не похоже на адрес электронной почты")
    assert not re.search(r"[A-Za-z]{4,}", refused_email.replace("/email", "").replace("name@example.com", ""))
    assert (
        await harness.say(1, "/nonsense")
        == "Я не знаю такой команды. Отправьте /help, чтобы узнать, что я умею."
    )


async def test_an_unknown_language_reads_english_and_counts_are_singular(harness: BotHarness) -> None:
    assert (await harness.say(2, "/start", first_name="Jo", language_code="pt-br")).startswith("Welcome, Jo!")
    joined = await harness.say(2, "/join")
    assert "1 player so far." in joined
    assert "A ballot costs ⭐ 10." in joined
    await harness.say(2, "/pay 1")
    assert "You bought 1 ballot for May 1, 2024: #1." in await harness.say(2, "/buy 1")


async def test_admin_texts_translate(harness: BotHarness) -> None:
    await harness.say(ADMIN, "/start", language_code="ru")
    assert "Команды администратора:" in await harness.say(ADMIN, "/help")
    stats = await harness.say(ADMIN, "/stats")
    assert "Оплачено: 0 ⭐" in stats
    closed = await harness.close_now()
    assert closed == "Закрыто:\n1 мая 2024: закрыта без билетов.\nИгрокам отправляются уведомления."
    assert await harness.close_now() == "Открытых лотерей для закрытия не было."
    assert (
        await harness.say(3, "/stats", language_code="ru")
        == "Эта команда только для администраторов лотереи."
    )


async def test_command_menus_per_language_and_scope(harness: BotHarness) -> None:
    api = harness.api
    english = {c["command"]: c["description"] for c in api.commands({"type": "default"})}
    russian = {c["command"]: c["description"] for c in api.commands({"type": "default"}, "ru")}
    assert english["buy"] == "Turn credit into ballots"
    assert russian["buy"] == "Купить билеты с баланса"
    assert english.keys() == russian.keys()
    assert "close" not in english
    groups = [c["command"] for c in api.commands({"type": "all_group_chats"}, "ru")]
    assert groups == ["winner", "events", "help"]
    admin = [c["command"] for c in api.commands({"type": "chat", "chat_id": ADMIN}, "ru")]
    assert "close" in admin
    assert "buy" in admin


async def test_language_choice_wins_over_telegram_and_reaches_notices_and_emails(harness: BotHarness) -> None:
    api, smtp = harness.api, harness.smtp
    assert smtp is not None
    await harness.say(1, "/start", first_name="Ann", language_code="en")
    await harness.say(2, "/start", first_name="Борис", language_code="ru")
    api.send_command(1, "/language")
    offer = await api.wait_for_message(1)
    assert offer["text"] == "Which language should I speak? Notices and emails will follow your choice."
    markup = offer["reply_markup"]
    assert markup is not None
    labels = [b["text"] for row in markup["inline_keyboard"] for b in row]
    assert labels == ["English", "Русский"]
    chosen = await harness.press(1, "language:ru", message_id=offer["message_id"])
    assert chosen["method"] == "editMessageText"
    assert chosen["text"] == "Готово! Язык бота: Русский."
    # Telegram still says "en", but the choice wins.
    assert (await harness.say(1, "/me", language_code="en")).startswith("Имя: Ann")
    await harness.say(1, "/email ann@example.com")
    await harness.say(2, "/email boris@example.com")
    for player in (1, 2):
        await harness.say(player, "/join")
        await harness.say(player, "/pay 1")
        await harness.say(player, "/buy 1")
    await harness.close_now()
    one = await api.wait_for_message(1, lambda t: "1 мая 2024" in t)
    two = await api.wait_for_message(2, lambda t: "1 мая 2024" in t)
    texts = sorted([one["text"], two["text"]])
    assert any(t.startswith("🎉 Вы выиграли в лотерее 1 мая 2024!") for t in texts), texts
    assert any(t.startswith("Лотерея 1 мая 2024 разыграна: выиграл билет №") for t in texts), texts
    [mail] = await smtp.wait_for_messages(1)
    assert mail.subject == "Вы выиграли в лотерее 1 мая 2024"
    assert mail.text.startswith("Поздравляем!")


async def test_the_language_is_read_once_per_user_not_on_every_update(harness: BotHarness) -> None:
    players = harness.lottery.players
    reads: list[int] = []
    original = players.languages

    async def counted(telegram_id: int) -> tuple[str | None, str | None] | None:
        reads.append(telegram_id)
        return await original(telegram_id)

    players.languages = counted  # type: ignore[method-assign]
    for text in ("/start", "/me", "/events", "/help", "/me"):
        await harness.say(7, text, language_code="ru")
    assert reads == [7]


def test_a_remembered_language_is_read_again_after_its_ttl() -> None:
    now = [0.0]
    memory = LanguageMemory(ttl=60, clock=lambda: now[0])
    memory.put(1, chosen="ru", reported="en", registered=True)
    now[0] = 59
    entry = memory.get(1)
    assert entry is not None
    assert entry.chosen == "ru"
    now[0] = 61  # another replica's /language reaches this one by then
    assert memory.get(1) is None


async def test_descriptions_are_set_at_start_up_in_every_language(harness: BotHarness) -> None:
    api = harness.api
    assert api.short_descriptions[""] == "A daily lottery: buy ballots with a tap, one wins at midnight."
    assert api.short_descriptions["ru"].startswith("Ежедневная лотерея")
    assert api.descriptions[""].startswith("A daily lottery in Telegram.")
    assert api.descriptions["ru"].startswith("Ежедневная лотерея в Telegram.")


async def test_configured_descriptions_replace_the_bot_s_own(
    api: BotApiEmulator, database_url: str, bot_clock: FixedClock
) -> None:
    harness = BotHarness(
        api,
        None,
        database_url,
        bot_clock,
        bot_description="Our office lottery.",
        bot_short_description="Lunch money.",
    )
    await harness.start()
    try:
        assert api.descriptions == {"": "Our office lottery."}
        assert api.short_descriptions == {"": "Lunch money."}
    finally:
        await harness.stop()
