"""Questions the player answers by replying: the pickers' "other…" asks how many ballots with
Telegram's reply prompt (ForceReply), and a reply to that prompt holding a number counts as
/buy N or /pay N. Only replies to the bot's own prompt count, whatever language it was asked in:
any other plain text still gets the pointer to the commands."""

from __future__ import annotations

from collections.abc import Callable

from telegram import ForceReply, Message
from telegram.ext import filters

from bot import replies
from bot.i18n import shipped, speaking


def number_prompt() -> ForceReply:
    """Opens the reply box under the question, with a hint of what to type."""
    return ForceReply(input_field_placeholder=replies.number_placeholder())


class RepliesTo(filters.MessageFilter):
    """A text reply to the bot's message that asked `prompt`, in any shipped language."""

    def __init__(self, prompt: Callable[[], str]) -> None:
        super().__init__(name=f"RepliesTo({prompt.__name__})")
        self._prompt = prompt
        self._texts: frozenset[str] | None = None

    def texts(self) -> frozenset[str]:
        if self._texts is None:
            said = set()
            for translator in shipped():
                with speaking(translator):
                    said.add(self._prompt())
            self._texts = frozenset(said)
        return self._texts

    def filter(self, message: Message) -> bool:
        asked = message.reply_to_message
        if asked is None or asked.from_user is None or not asked.from_user.is_bot:
            return False
        return asked.text in self.texts()


def answer(message: Message | None) -> list[str]:
    """The reply's words, read as a command's arguments."""
    return (message.text or "").split() if message is not None else []
