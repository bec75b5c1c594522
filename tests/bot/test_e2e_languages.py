"""Players read the bot in their own language, with amounts, counts and days written its way."""

from __future__ import annotations

from tests.bot.harness import ADMIN, BotHarness


async def test_a_russian_player_reads_russian_from_start_to_purchase(harness: BotHarness) -> None:
    welcome = await harness.say(1, "/start", first_name="Аня", language_code="ru")
    assert welcome.startswith("Добро пожаловать, Аня! Вы зарегистрированы.")
    assert "/buy N – купить N билетов с баланса" in welcome
    joined = await harness.say(1, "/join")
    assert joined.startswith("Вы участвуете: лотерея 1 мая 2024. Пока 1 участник.")
    assert "Билет стоит 10 ⭐." in joined
    assert "Платёж получен: 20 ⭐." in await harness.say(1, "/pay 2")
    bought = await harness.say(1, "/buy 2")
    assert "Вы купили 2 билета на 1 мая 2024: #1, #2." in bought
    assert "Потрачено 20 ⭐; на балансе осталось 0 ⭐. Удачи!" in bought
    refused = await harness.say(1, "/buy 5")
    assert refused == "Недостаточно средств: нужно 50 ⭐, а на балансе 0 ⭐. Пополните через /pay."
    assert "«x» — не целое число" in await harness.say(1, "/buy x")
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
    closed = await harness.say(ADMIN, "/close")
    assert closed == "Закрыто:\n1 мая 2024: закрыта без билетов.\nИгрокам отправляются уведомления."
    assert await harness.say(ADMIN, "/close") == "Открытых лотерей для закрытия не было."
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
