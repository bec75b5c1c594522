"""PerUserOrder: updates at once across users, one at a time and in order for each user."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from telegram import Chat, Message, SuccessfulPayment, Update, User

from bot.ordering import QUEUED_PER_USER, PerUserOrder

WHEN = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)


def _update(update_id: int, user_id: int | None, *, chat_id: int | None = None) -> Update:
    chat_id = chat_id if chat_id is not None else user_id
    assert chat_id is not None
    if user_id is None:  # a channel post: a chat, no user
        channel = Chat(chat_id, Chat.CHANNEL)
        return Update(update_id, channel_post=Message(update_id, WHEN, channel, text="news"))
    user = User(user_id, f"U{user_id}", is_bot=False)
    chat = Chat(chat_id, Chat.PRIVATE)
    return Update(update_id, message=Message(update_id, WHEN, chat, from_user=user, text="/me"))


class Journal:
    """What ran when: ("start", name) and ("end", name) in the order they happened."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self._started: dict[str, asyncio.Event] = {}
        self._release: dict[str, asyncio.Event] = {}

    async def work(self, name: str, *, hold: bool = False) -> None:
        self.events.append(("start", name))
        self._event(self._started, name).set()
        if hold:
            await self._event(self._release, name).wait()
        else:
            await asyncio.sleep(0)
        self.events.append(("end", name))

    async def started(self, name: str) -> None:
        await asyncio.wait_for(self._event(self._started, name).wait(), timeout=2)

    def release(self, name: str) -> None:
        self._event(self._release, name).set()

    def running(self) -> list[str]:
        ended = set(self.finished())
        return [name for kind, name in self.events if kind == "start" and name not in ended]

    def finished(self) -> list[str]:
        return [name for kind, name in self.events if kind == "end"]

    @staticmethod
    def _event(events: dict[str, asyncio.Event], name: str) -> asyncio.Event:
        return events.setdefault(name, asyncio.Event())


async def test_one_users_updates_run_one_at_a_time_in_arrival_order() -> None:
    processor = PerUserOrder(8)
    journal = Journal()
    updates = [_update(n, user_id=1) for n in range(1, 6)]
    tasks = [
        asyncio.create_task(
            processor.process_update(u, journal.work(f"a{u.update_id}", hold=u.update_id == 1))
        )
        for u in updates
    ]
    await journal.started("a1")
    await asyncio.sleep(0.05)
    assert journal.events == [("start", "a1")]  # the others wait for the first, however long it takes
    journal.release("a1")
    await asyncio.gather(*tasks)
    assert journal.finished() == ["a1", "a2", "a3", "a4", "a5"]
    starts_and_ends = [kind for kind, _ in journal.events]
    assert starts_and_ends == ["start", "end"] * 5  # never two of them at once
    assert processor.users_in_hand() == 0


async def test_other_users_run_while_one_users_update_is_slow() -> None:
    processor = PerUserOrder(2)
    journal = Journal()
    slow = asyncio.create_task(processor.process_update(_update(1, 1), journal.work("a1", hold=True)))
    # Four more from the same user queue behind it; with a running slot each, they would fill the
    # second slot and hold up the other user.
    queued = [
        asyncio.create_task(processor.process_update(_update(n, 1), journal.work(f"a{n}")))
        for n in range(2, 6)
    ]
    await journal.started("a1")
    other = asyncio.create_task(processor.process_update(_update(9, 2), journal.work("b9")))
    await asyncio.wait_for(other, timeout=1)
    assert journal.finished() == ["b9"]
    journal.release("a1")
    await asyncio.gather(slow, *queued)
    assert journal.finished() == ["b9", "a1", "a2", "a3", "a4", "a5"]


async def test_no_more_than_the_limit_run_at_once() -> None:
    processor = PerUserOrder(3)
    journal = Journal()
    tasks = [
        asyncio.create_task(processor.process_update(_update(n, n), journal.work(f"u{n}", hold=True)))
        for n in range(1, 7)
    ]
    await asyncio.sleep(0.05)
    assert journal.running() == ["u1", "u2", "u3"]  # three users run, three wait for a slot
    for n in range(1, 7):
        await journal.started(f"u{n}")
        journal.release(f"u{n}")
    await asyncio.gather(*tasks)
    assert sorted(journal.finished()) == [f"u{n}" for n in range(1, 7)]
    assert processor.users_in_hand() == 0


async def test_an_update_with_no_user_runs_in_turn_by_its_chat() -> None:
    processor = PerUserOrder(4)
    journal = Journal()
    first = asyncio.create_task(
        processor.process_update(_update(1, None, chat_id=-100), journal.work("post1", hold=True))
    )
    second = asyncio.create_task(
        processor.process_update(_update(2, None, chat_id=-100), journal.work("post2"))
    )
    await journal.started("post1")
    await asyncio.sleep(0.05)
    assert journal.running() == ["post1"]
    journal.release("post1")
    await asyncio.gather(first, second)
    assert journal.finished() == ["post1", "post2"]


async def test_a_failing_update_gives_the_next_one_its_turn() -> None:
    processor = PerUserOrder(2)
    journal = Journal()

    async def fail() -> None:
        raise RuntimeError("a handler crashed")

    with pytest.raises(RuntimeError):
        await processor.process_update(_update(1, 1), fail())
    await asyncio.wait_for(processor.process_update(_update(2, 1), journal.work("a2")), timeout=1)
    assert journal.finished() == ["a2"]
    assert processor.users_in_hand() == 0


def test_at_least_one_update_must_run() -> None:
    with pytest.raises(ValueError, match="at least one"):
        PerUserOrder(0)


def _payment(update_id: int, user_id: int) -> Update:
    """A successful_payment service message: money Telegram already took."""
    user = User(user_id, f"U{user_id}", is_bot=False)
    chat = Chat(user_id, Chat.PRIVATE)
    paid = SuccessfulPayment("XTR", 10, "order", f"tg-{update_id}", f"provider-{update_id}")
    return Update(update_id, message=Message(update_id, WHEN, chat, from_user=user, successful_payment=paid))


async def test_a_flood_behind_a_slow_update_is_cut_but_never_a_payment() -> None:
    processor = PerUserOrder(2)
    journal = Journal()
    slow = asyncio.create_task(processor.process_update(_update(1, 1), journal.work("a1", hold=True)))
    await journal.started("a1")
    flood = [
        asyncio.create_task(processor.process_update(_update(n, 1), journal.work(f"a{n}")))
        for n in range(2, 2 + QUEUED_PER_USER + 8)
    ]
    paid = asyncio.create_task(processor.process_update(_payment(999, 1), journal.work("paid")))
    other = asyncio.create_task(processor.process_update(_update(500, 2), journal.work("b500")))
    await asyncio.wait_for(other, timeout=1)
    assert processor.dropped == 9  # 32 waiting at most, counting the running one; the payment is kept
    journal.release("a1")
    await asyncio.gather(slow, *flood, paid)
    kept = journal.finished()
    assert kept[0] == "b500"
    assert kept[1:] == [f"a{n}" for n in range(1, QUEUED_PER_USER + 1)] + ["paid"]
    assert processor.users_in_hand() == 0


async def test_cancelled_updates_leave_nothing_behind_and_the_next_one_runs() -> None:
    processor = PerUserOrder(1)
    journal = Journal()
    running = asyncio.create_task(processor.process_update(_update(1, 1), journal.work("a1", hold=True)))
    await journal.started("a1")
    waiting = asyncio.create_task(processor.process_update(_update(2, 1), journal.work("a2")))
    other = asyncio.create_task(processor.process_update(_update(3, 2), journal.work("b3")))
    await asyncio.sleep(0.05)
    for task in (waiting, other, running):
        task.cancel()
    await asyncio.gather(running, waiting, other, return_exceptions=True)
    assert processor.users_in_hand() == 0
    await asyncio.wait_for(processor.process_update(_update(4, 1), journal.work("a4")), timeout=1)
    assert journal.finished() == ["a4"]
