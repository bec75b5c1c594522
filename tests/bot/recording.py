"""An in-process stand-in for the Bot API: records what the bot sends, answers without sockets."""

from __future__ import annotations

import itertools
import json
from typing import Any
from urllib.parse import parse_qs

from telegram.request import BaseRequest, RequestData

BOT_USER = {"id": 4242, "is_bot": True, "first_name": "Lottery", "username": "lottery_test_bot"}


class RecordingRequest(BaseRequest):
    """Answers every method with a plausible result and keeps the calls for the test to read."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._message_ids = itertools.count(1)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        params = _params(request_data)
        self.calls.append((name, params))
        return 200, json.dumps({"ok": True, "result": self._result(name, params)}).encode()

    def _result(self, name: str, params: dict[str, Any]) -> Any:
        if name == "getMe":
            return BOT_USER
        if name == "sendMessage":
            return {
                "message_id": next(self._message_ids),
                "date": 0,
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "from": BOT_USER,
                "text": params.get("text", ""),
            }
        if name == "getUpdates":
            return []
        return True

    def texts(self, chat_id: int) -> list[str]:
        return [p["text"] for name, p in self.calls if name == "sendMessage" and int(p["chat_id"]) == chat_id]


def _params(request_data: RequestData | None) -> dict[str, Any]:
    if request_data is None:
        return {}
    parsed = parse_qs(request_data.url_encoded_parameters())
    return {key: values[0] for key, values in parsed.items()}
