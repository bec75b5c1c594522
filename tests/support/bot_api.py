"""A real HTTP Telegram Bot API emulator for end-to-end tests.

Why an emulator instead of mocks: the bot under test talks to it through python-telegram-bot's
real HTTP stack (``httpx``, request encoding, error mapping, long polling, offsets), so the tests
exercise exactly what production does, minus Telegram itself.

Usage::

    async with BotApiEmulator(token="123456:TEST") as api:
        app = ApplicationBuilder().token(api.token).base_url(api.base_url).build()
        ...
        api.send_command(42, "/start")
        reply = await api.wait_for_message(42, lambda text: "Welcome" in text)

Everything runs on the test's event loop: the injection helpers (``send_command``,
``press_button``...) are plain functions, the waiting helpers are coroutines.

The emulator is deliberately as strict as Telegram where a mistake is cheap to detect: unknown
methods answer 404, invalid command names, over-long texts, over-long callback data, unknown
callback/pre-checkout query ids, edits that change nothing and double refunds answer 400, and a
newer ``getUpdates`` terminates an older one with 409 (two bot instances running). Texts are
stored as sent: ``parse_mode`` markup is *not* rendered into entities.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import re
import socket
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final, Literal, Self, TypedDict, TypeVar

from aiohttp import web
from telegram import Update

JSONDict = dict[str, Any]
ChatId = int | str
ChatType = Literal["private", "group", "supergroup"]
T = TypeVar("T")

MAX_MESSAGE_LENGTH: Final = 4096
MAX_CALLBACK_DATA_BYTES: Final = 64
MAX_INVOICE_PAYLOAD_BYTES: Final = 128
MAX_INVOICE_TITLE_LENGTH: Final = 32
MAX_INVOICE_DESCRIPTION_LENGTH: Final = 255
PRE_CHECKOUT_ANSWER_SECONDS: Final = 10.0
MAX_STAR_TRANSACTIONS_PER_CALL: Final = 100
MAX_UPDATES_PER_CALL: Final = 100
COMMAND_NAME: Final = re.compile(r"[a-z0-9_]{1,32}")

# Parameters Telegram types as String. PTB sends strings raw and everything else as JSON, so a
# text such as "42" or "true" must not be JSON-decoded into a number or a boolean.
STRING_FIELDS: Final = frozenset(
    {
        "business_connection_id",
        "callback_query_id",
        "caption",
        "currency",
        "description",
        "emoji",
        "error_message",
        "inline_message_id",
        "language_code",
        "message_effect_id",
        "name",
        "parse_mode",
        "payload",
        "photo_url",
        "pre_checkout_query_id",
        "provider_data",
        "provider_token",
        "short_description",
        "start_parameter",
        "telegram_payment_charge_id",
        "text",
        "title",
        "url",
    }
)

NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD: Final = "Bad Request: query is too old and response timeout expired or query ID is invalid"


class SentMessage(TypedDict):
    """One message the bot sent (``sendMessage``) or re-wrote (``editMessageText``)."""

    method: str
    chat_id: ChatId
    message_id: int
    text: str
    reply_markup: JSONDict | None
    parse_mode: str | None
    # The message this one quotes (``reply_parameters.message_id``), as a group reply shows it.
    reply_to: int | None


class ApiError(Exception):
    """An error answer, raised anywhere inside a method handler and turned into JSON once."""

    def __init__(self, status: int, description: str, parameters: JSONDict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def response(self) -> web.Response:
        """Render the error exactly as Telegram does; PTB picks its exception from this."""
        body: JSONDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return web.json_response(body, status=self.status)


@dataclass
class _InjectedFailure:
    """A scripted error answer for the next ``remaining`` calls of one method."""

    remaining: int
    error: ApiError


@dataclass(frozen=True)
class _Charge:
    """A Stars payment injected by the test, so refunds can be checked against it."""

    user: JSONDict
    amount: int
    payload: str


class _Signal:
    """Wakes every coroutine waiting for the emulator's state to change.

    ``asyncio.Condition`` would need ``await`` to notify, but the injection helpers are plain
    functions; resolving futures works from synchronous code on the same loop.
    """

    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()

    def notify(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    async def wait_until(self, probe: Callable[[], T | None], within: float) -> T | None:
        """Return the first non-None ``probe()`` result, or None once ``within`` seconds passed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            result = probe()
            remaining = deadline - loop.time()
            if result is not None or remaining <= 0:
                return result
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.add(waiter)
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(waiter, remaining)
            finally:
                self._waiters.discard(waiter)


def _bind_free_socket() -> socket.socket:
    """Bind to port 0 so the OS picks a free port and nobody can take it before we listen."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def _now() -> int:
    return int(time.time())


def _utf16_length(text: str) -> int:
    """Telegram measures entity offsets and lengths in UTF-16 code units, not characters."""
    return len(text.encode("utf-16-le")) // 2


def _decode_field(name: str, value: Any) -> Any:
    """Undo PTB's form encoding: strings travel raw, every other value as JSON."""
    if isinstance(value, web.FileField):
        return {"filename": value.filename, "content_type": value.content_type, "data": value.file.read()}
    if isinstance(value, bytes):
        value = value.decode()
    if name in STRING_FIELDS or not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


async def _read_params(request: web.Request) -> JSONDict:
    """Accept every body Telegram accepts: query string, urlencoded, multipart or JSON."""
    params: JSONDict = {name: _decode_field(name, value) for name, value in request.query.items()}
    if request.content_type == "application/json":
        body = await request.json()
        if isinstance(body, dict):
            params.update(body)
        return params
    form = await request.post()
    params.update({name: _decode_field(name, value) for name, value in form.items()})
    return params


def _user(user_id: int, first_name: str, username: str | None, language_code: str | None) -> JSONDict:
    user: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
    if username is not None:
        user["username"] = username
    if language_code is not None:
        user["language_code"] = language_code
    return user


def _chat_for(user: JSONDict, chat_type: ChatType, chat_id: int | None) -> JSONDict:
    """A private chat mirrors the user; group chats need an explicit (negative) id."""
    if chat_type == "private":
        chat = {"id": user["id"] if chat_id is None else chat_id, "type": "private"}
        chat.update({k: user[k] for k in ("first_name", "username") if k in user})
        return chat
    if chat_id is None:
        raise ValueError(f"a {chat_type} message needs an explicit chat_id")
    return {"id": chat_id, "type": chat_type, "title": f"Test {chat_type} {chat_id}"}


def _command_entities(text: str) -> list[JSONDict]:
    """The ``bot_command`` entity CommandHandler looks for, covering ``/cmd`` or ``/cmd@bot``."""
    if not text.startswith("/"):
        return []
    word = text.split(maxsplit=1)[0]
    return [{"type": "bot_command", "offset": 0, "length": _utf16_length(word)}]


def _inline_markup(markup: Any) -> JSONDict | None:
    """Telegram only echoes inline keyboards back in the returned Message."""
    if isinstance(markup, dict) and "inline_keyboard" in markup:
        return markup
    return None


def _validate_reply_markup(markup: Any) -> None:
    if markup is None:
        return
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    # Telegram: force_reply must be True; the placeholder is 0-64 characters.
    force = markup.get("force_reply")
    if force is not None and (force is not True or len(markup.get("input_field_placeholder", "")) > 64):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    for row in markup.get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")


def _validate_text(params: JSONDict) -> str:
    text = params.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if len(text) > MAX_MESSAGE_LENGTH:
        raise ApiError(400, "Bad Request: message is too long")
    return text


def _require_chat_id(params: JSONDict) -> ChatId:
    chat_id = params.get("chat_id")
    if not isinstance(chat_id, int | str) or chat_id == "":
        raise ApiError(400, "Bad Request: chat_id is empty")
    return chat_id


def _validate_commands(commands: Any) -> list[JSONDict]:
    if not isinstance(commands, list):
        raise ApiError(400, "Bad Request: can't parse commands JSON object")
    for command in commands:
        name = str(command.get("command", ""))
        description = str(command.get("description", ""))
        if not COMMAND_NAME.fullmatch(name) or not 1 <= len(description) <= 256:
            raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
    return commands


def _validate_invoice(params: JSONDict) -> None:
    """Catch the invoice mistakes that only show up against the real Telegram."""
    for name in ("title", "description", "payload", "currency"):
        if not params.get(name):
            raise ApiError(400, f"Bad Request: {name} is empty")
    if len(str(params["payload"]).encode()) > MAX_INVOICE_PAYLOAD_BYTES:
        raise ApiError(400, "Bad Request: invoice payload is too long")
    if len(str(params["title"])) > MAX_INVOICE_TITLE_LENGTH:
        raise ApiError(400, "Bad Request: invoice title is too long")
    if len(str(params["description"])) > MAX_INVOICE_DESCRIPTION_LENGTH:
        raise ApiError(400, "Bad Request: invoice description is too long")
    prices = params.get("prices")
    if not isinstance(prices, list) or not prices:
        raise ApiError(400, "Bad Request: prices are empty")
    if params["currency"] == "XTR":
        if len(prices) != 1:
            raise ApiError(400, "Bad Request: Stars invoices must have exactly one price")
        if "provider_token" in params:
            # Even an empty string is sent by PTB 22.8 as "[]" (FIELD_NOTES.md): leave it out.
            raise ApiError(400, "Bad Request: provider_token must be empty for Stars invoices")
    elif not params.get("provider_token"):
        raise ApiError(400, "Bad Request: PAYMENT_PROVIDER_INVALID")


def _set_text(store: dict[str, str], params: JSONDict, field: str, limit: int) -> bool:
    """Telegram's limits for descriptions; an empty text removes the one for that language."""
    text = str(params.get(field) or "")
    if len(text) > limit:
        raise ApiError(400, f"Bad Request: {field.replace('_', ' ')} is too long")
    language = str(params.get("language_code") or "")
    if text:
        store[language] = text
    else:
        store.pop(language, None)
    return True


def scope_key(scope: Mapping[str, Any] | None = None, language_code: str = "") -> str:
    """The key ``BotApiEmulator.commands_by_scope`` uses: the scope's canonical JSON."""
    key = json.dumps(dict(scope or {"type": "default"}), sort_keys=True)
    return f"{key}|{language_code}" if language_code else key


class BotApiEmulator:
    """An in-process Telegram Bot API server that records calls and serves injected updates."""

    def __init__(
        self,
        token: str = "123456:TEST",
        *,
        username: str = "test_lottery_bot",
        first_name: str = "Test Lottery Bot",
    ) -> None:
        self.token = token
        self.bot_user: JSONDict = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": first_name,
            "username": username,
        }
        self.calls: list[tuple[str, JSONDict]] = []
        self.commands_by_scope: dict[str, list[JSONDict]] = {}
        # setMyDescription / setMyShortDescription, by language code ("" for everyone else).
        self.descriptions: dict[str, str] = {}
        self.short_descriptions: dict[str, str] = {}
        # Telegram sends a user's language with everything they do: a button press or a payment
        # carries the language their last message had.
        self.user_languages: dict[int, str] = {}
        # Every message users sent, so a test can check which one a reply quotes.
        self.user_messages: list[JSONDict] = []
        self.menu_buttons: dict[ChatId | None, JSONDict] = {}
        self.star_transactions: list[JSONDict] = []
        self.refunded_charges: set[str] = set()
        self.answered_callback_queries: dict[str, JSONDict] = {}
        self.pre_checkout_answers: dict[str, JSONDict] = {}
        self.pre_checkout_answer_seconds = PRE_CHECKOUT_ANSWER_SECONDS
        self._pre_checkout_opened_at: dict[str, float] = {}
        self._lost_responses: dict[str, deque[float]] = {}
        # Outages (retry and error behaviour): stalls that end in an error, errors until told to stop.
        self._stalls: dict[str, deque[tuple[float, ApiError]]] = {}
        self._outages: dict[str, tuple[float, ApiError]] = {}
        self._sent_at: list[float] = []
        self._failures_after_work: dict[str, deque[ApiError]] = {}

        self._signal = _Signal()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._update_ids = itertools.count(1)
        self._last_update_id = 0
        self._message_ids = itertools.count(1)
        self._pending: list[JSONDict] = []
        self._poll_generation = 0
        self._sent: list[SentMessage] = []
        # Every document sent (sendDocument): chat id, file name, caption and the uploaded bytes.
        self.documents: list[JSONDict] = []
        self._bot_messages: dict[tuple[ChatId, int], JSONDict] = {}
        self._chats: dict[ChatId, JSONDict] = {}
        self._open_callback_queries: set[str] = set()
        self._open_pre_checkout_queries: set[str] = set()
        self._charges: dict[str, _Charge] = {}
        self._failures: dict[str, deque[_InjectedFailure]] = {}
        self._blocked: set[ChatId] = set()
        self._delays: dict[str, float] = {}
        self._message_cursors: dict[ChatId, int] = {}
        self._call_cursors: dict[str, int] = {}
        self._methods: dict[str, Callable[[JSONDict], Any]] = {
            name.lower(): handler
            for name, handler in {
                "getMe": self._get_me,
                "getUpdates": self._get_updates,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "setMyCommands": self._set_my_commands,
                "setMyDescription": self._set_my_description,
                "setMyShortDescription": self._set_my_short_description,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "setChatMenuButton": self._set_chat_menu_button,
                "sendMessage": self._send_message,
                "editMessageText": self._edit_message_text,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "deleteMessage": self._delete_message,
                "sendChatAction": self._always_true,
                "answerCallbackQuery": self._answer_callback_query,
                "sendInvoice": self._send_invoice,
                "sendDocument": self._send_document,
                "answerPreCheckoutQuery": self._answer_pre_checkout_query,
                "refundStarPayment": self._refund_star_payment,
                "getStarTransactions": self._get_star_transactions,
                "close": self._always_true,
                "logOut": self._always_true,
            }.items()
        }

    # -- lifecycle -------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        # A short shutdown timeout: otherwise teardown waits for parked long polls.
        self._runner = web.AppRunner(app, shutdown_timeout=0.1, handle_signals=False)
        await self._runner.setup()
        sock = _bind_free_socket()
        self._port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the emulator is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """What ``ApplicationBuilder().base_url()`` expects: PTB appends the token itself."""
        return f"http://127.0.0.1:{self.port}/bot"

    # -- HTTP plumbing ---------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return ApiError(401, "Unauthorized").response()
        method = request.match_info["method"]
        params = await _read_params(request)
        self.calls.append((method, params))
        self._signal.notify()
        try:
            result = await self._dispatch(method, params)
        except ApiError as error:
            return error.response()
        return web.json_response({"ok": True, "result": result})

    async def _dispatch(self, method: str, params: JSONDict) -> Any:
        key = method.lower()
        delay = self._delays.get(key)
        if delay:
            await asyncio.sleep(delay)
        await self._stall_if_scripted(key)
        await self._raise_if_outage(key)
        after_work = self._failures_after_work.get(key)
        if not after_work:
            self._raise_injected_failure(key)
        self._raise_if_blocked(params)
        handler = self._methods.get(key)
        if handler is None:
            raise ApiError(404, "Not Found: method not found")
        result = handler(params)
        if asyncio.iscoroutine(result):
            result = await result
        self._signal.notify()
        if after_work:
            raise after_work.popleft()
        await self._lose_response_if_scripted(key)
        return result

    def _raise_injected_failure(self, key: str) -> None:
        queue = self._failures.get(key)
        if not queue:
            return
        failure = queue[0]
        failure.remaining -= 1
        if failure.remaining <= 0:
            queue.popleft()
        raise failure.error

    def _raise_if_blocked(self, params: JSONDict) -> None:
        if params.get("chat_id") in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")

    # -- test controls: failures -----------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int,
        *,
        times: int = 1,
        retry_after: int | None = None,
        description: str | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with an error (queued after earlier ones).

        PTB maps 400 to BadRequest, 403 to Forbidden, 401/404 to InvalidToken, 409 to Conflict,
        any status with ``retry_after`` to RetryAfter, and everything else to NetworkError.
        """
        parameters = {"retry_after": retry_after} if retry_after is not None else None
        if description is None:
            description = _default_description(status, retry_after)
        error = ApiError(status, description, parameters)
        queue = self._failures.setdefault(method.lower(), deque())
        queue.append(_InjectedFailure(remaining=times, error=error))

    def fail_after_doing(self, method: str, status: int, *, description: str | None = None) -> None:
        """Do the next call of ``method``, then answer it with an error, as a gateway in front of
        Telegram does when its backend finished but the answer did not come back (a 502 after the
        refund was made). This call comes before any queued by ``fail_next``."""
        error = ApiError(status, description or _default_description(status, None))
        self._failures_after_work.setdefault(method.lower(), deque()).append(error)

    def block_user(self, chat_id: ChatId) -> None:
        """Every call aimed at ``chat_id`` answers 403 until ``unblock_user``."""
        self._blocked.add(chat_id)

    def unblock_user(self, chat_id: ChatId) -> None:
        self._blocked.discard(chat_id)

    def set_delay(self, method: str, seconds: float) -> None:
        """Slow every answer of ``method`` down, e.g. to test timeouts or concurrency."""
        self._delays[method.lower()] = seconds

    # -- test controls: injecting updates --------------------------------------------------

    def send_update(self, update: Mapping[str, Any]) -> int:
        """Queue any raw update; ``update_id`` is assigned when missing.

        The update is parsed with ``telegram.Update.de_json`` first, because a malformed update
        would stall polling forever (the offset never moves past it).
        """
        data = copy.deepcopy(dict(update))
        self._claim_update_id(data)
        try:
            Update.de_json(copy.deepcopy(data), None)
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"telegram.Update.de_json cannot parse {data!r}: {error!r}") from error
        self._remember_chats(data)
        self._pending.append(data)
        self._signal.notify()
        return int(data["update_id"])

    def send_command(
        self,
        user_id: int,
        text: str,
        *,
        chat_type: ChatType = "private",
        chat_id: int | None = None,
        username: str | None = None,
        first_name: str = "Test",
        language_code: str | None = None,
    ) -> int:
        """A user's message; a leading ``/word`` gets the ``bot_command`` entity it needs."""
        return self._send_user_message(
            user_id,
            text,
            _command_entities(text),
            chat_type=chat_type,
            chat_id=chat_id,
            user=_user(user_id, first_name, username, self._language(user_id, language_code)),
        )

    def send_text(
        self,
        user_id: int,
        text: str,
        *,
        chat_type: ChatType = "private",
        chat_id: int | None = None,
        username: str | None = None,
        first_name: str = "Test",
        language_code: str | None = None,
        reply_to: int | None = None,
    ) -> int:
        """A user's plain message with no entities, even if it starts with a slash; `reply_to` makes it
        a reply to the bot's message of that id, as answering a ForceReply prompt does."""
        return self._send_user_message(
            user_id,
            text,
            [],
            chat_type=chat_type,
            chat_id=chat_id,
            user=_user(user_id, first_name, username, self._language(user_id, language_code)),
            reply_to=reply_to,
        )

    def _language(self, user_id: int, language_code: str | None) -> str | None:
        """The language given now, remembered for the user's later presses and payments."""
        if language_code is not None:
            self.user_languages[user_id] = language_code
        return self.user_languages.get(user_id)

    def press_button(
        self,
        user_id: int,
        data: str,
        *,
        message_id: int,
        chat_id: ChatId | None = None,
        username: str | None = None,
        first_name: str = "Test",
        language_code: str | None = None,
    ) -> int:
        """A callback query for a button on the bot's message ``message_id``.

        The query id is ``str(update_id)``, so a test can find the matching answer in
        ``answered_callback_queries``.
        """
        update_id = next(self._update_ids)
        user = _user(user_id, first_name, username, self._language(user_id, language_code))
        target_chat = user_id if chat_id is None else chat_id
        query: JSONDict = {
            "id": str(update_id),
            "from": user,
            "chat_instance": str(target_chat),
            "data": data,
            "message": self._message_for_button(target_chat, message_id),
        }
        self._open_callback_queries.add(query["id"])
        return self.send_update({"update_id": update_id, "callback_query": query})

    def send_pre_checkout_query(
        self,
        user_id: int,
        *,
        payload: str,
        total_amount: int,
        currency: str = "XTR",
        username: str | None = None,
        first_name: str = "Test",
    ) -> int:
        """Telegram asking the bot to confirm a payment; the query id is ``str(update_id)``."""
        update_id = next(self._update_ids)
        query: JSONDict = {
            "id": str(update_id),
            "from": _user(user_id, first_name, username, self.user_languages.get(user_id)),
            "currency": currency,
            "total_amount": total_amount,
            "invoice_payload": payload,
        }
        self._open_pre_checkout_queries.add(query["id"])
        self._pre_checkout_opened_at[query["id"]] = time.monotonic()
        return self.send_update({"update_id": update_id, "pre_checkout_query": query})

    def send_successful_payment(
        self,
        user_id: int,
        *,
        payload: str,
        total_amount: int,
        charge_id: str | None = None,
        currency: str = "XTR",
        username: str | None = None,
        first_name: str = "Test",
        provider_charge_id: str = "",
    ) -> int:
        """A ``successful_payment`` service message; a Stars one is also listed by ``getStarTransactions``
        (fiat payments are in the provider's books, not Telegram's; they carry the provider's charge id).

        Send the same ``charge_id`` twice to test that crediting is idempotent.
        """
        update_id = next(self._update_ids)
        charge_id = charge_id or f"stxTEST{update_id}"
        user = _user(user_id, first_name, username, self.user_languages.get(user_id))
        payment = {
            "currency": currency,
            "total_amount": total_amount,
            "invoice_payload": payload,
            "telegram_payment_charge_id": charge_id,
            "provider_payment_charge_id": provider_charge_id,
        }
        if currency == "XTR":
            self._book_charge(charge_id, user, total_amount, payload)
        message = self._user_message(user, _chat_for(user, "private", None), extra={})
        message["successful_payment"] = payment
        return self.send_update({"update_id": update_id, "message": message})

    def send_refunded_payment(self, user_id: int, *, charge_id: str, first_name: str = "Test") -> int:
        """A ``refunded_payment`` service message (Bot API 7.10) for a charge Telegram knows."""
        charge = self._charges[charge_id]
        user = _user(user_id, first_name, None, None)
        message = self._user_message(user, _chat_for(user, "private", None), extra={})
        message["refunded_payment"] = {
            "currency": "XTR",
            "total_amount": charge.amount,
            "invoice_payload": charge.payload,
            "telegram_payment_charge_id": charge_id,
        }
        return self.send_update({"message": message})

    def refund_outside_the_bot(self, charge_id: str) -> None:
        """Telegram's support refunds a charge: it shows in the books, the bot was not asked."""
        self.refunded_charges.add(charge_id)
        self.star_transactions.append(_refund_transaction(charge_id, self._charges[charge_id]))

    def withdraw_stars(
        self, amount: int, *, state: Literal["pending", "succeeded", "failed"] = "succeeded"
    ) -> str:
        """The owner withdraws Stars to Fragment: an outgoing transaction whose receiver is Fragment,
        with no user at all. A failed withdrawal's Stars come back as an incoming one from Fragment."""
        transaction_id = f"withdrawal{next(self._update_ids)}"
        withdrawal: JSONDict = {"type": state}
        if state == "succeeded":
            withdrawal |= {"date": _now(), "url": f"https://fragment.com/withdrawal/{transaction_id}"}
        self.star_transactions.append(
            {
                "id": transaction_id,
                "amount": amount,
                "date": _now(),
                "receiver": {"type": "fragment", "withdrawal_state": withdrawal},
            }
        )
        if state == "failed":
            back = {"type": "fragment"}
            self.star_transactions.append(
                {"id": f"{transaction_id}back", "amount": amount, "date": _now(), "source": back}
            )
        return transaction_id

    def pay_telegram_ads(self, amount: int) -> str:
        """Stars spent on Telegram Ads: outgoing, to a partner that is no user."""
        transaction_id = f"ads{next(self._update_ids)}"
        self.star_transactions.append(
            {"id": transaction_id, "amount": amount, "date": _now(), "receiver": {"type": "telegram_ads"}}
        )
        return transaction_id

    def user_transaction(
        self, user_id: int, *, transaction_type: str, amount: int, incoming: bool, first_name: str = "Test"
    ) -> str:
        """A transaction with a user that is no invoice (``transaction_type`` "paid_media_payment",
        "gift_purchase", "premium_purchase", "business_account_transfer"): in the books, never ours."""
        transaction_id = f"{transaction_type}{next(self._update_ids)}"
        partner = {
            "type": "user",
            "transaction_type": transaction_type,
            "user": _user(user_id, first_name, None, None),
        }
        side = "source" if incoming else "receiver"
        self.star_transactions.append({"id": transaction_id, "amount": amount, "date": _now(), side: partner})
        return transaction_id

    def charge_without_update(
        self, user_id: int, *, payload: str, total_amount: int, charge_id: str, first_name: str = "Test"
    ) -> None:
        """A payment Telegram took whose ``successful_payment`` update the bot never got (it was down
        longer than Telegram keeps updates): only ``getStarTransactions`` knows of it."""
        self._book_charge(charge_id, _user(user_id, first_name, None, None), total_amount, payload)

    def _book_charge(self, charge_id: str, user: JSONDict, amount: int, payload: str) -> None:
        """Telegram's books: one incoming transaction per charge, in the order they happened."""
        if charge_id not in self._charges:
            self._charges[charge_id] = _Charge(user=user, amount=amount, payload=payload)
            self.star_transactions.append(_incoming_transaction(charge_id, amount, user, payload))

    def _send_user_message(
        self,
        user_id: int,
        text: str,
        entities: list[JSONDict],
        *,
        chat_type: ChatType,
        chat_id: int | None,
        user: JSONDict,
        reply_to: int | None = None,
    ) -> int:
        extra: JSONDict = {"text": text}
        if entities:
            extra["entities"] = entities
        chat = _chat_for(user, chat_type, chat_id)
        if reply_to is not None:
            extra["reply_to_message"] = self._message_for_button(chat["id"], reply_to)
        message = self._user_message(user, chat, extra=extra)
        self.user_messages.append(message)
        return self.send_update({"message": message})

    def _user_message(self, user: JSONDict, chat: JSONDict, *, extra: JSONDict) -> JSONDict:
        return {
            "message_id": next(self._message_ids),
            "date": _now(),
            "chat": chat,
            "from": user,
            **extra,
        }

    def _message_for_button(self, chat_id: ChatId, message_id: int) -> JSONDict:
        """The bot's message the button sits on, invented if the bot never sent it here."""
        key = (chat_id, message_id)
        if key not in self._bot_messages:
            self._bot_messages[key] = {
                "message_id": message_id,
                "date": _now(),
                "chat": self._chat(chat_id),
                "from": self.bot_user,
                "text": "(a message the emulator did not see being sent)",
            }
        return copy.deepcopy(self._bot_messages[key])

    def _claim_update_id(self, data: JSONDict) -> None:
        """Give ``data`` the next id, or accept the test's own if it keeps ids increasing."""
        if "update_id" not in data:
            data["update_id"] = next(self._update_ids)
        update_id = int(data["update_id"])
        if update_id <= self._last_update_id:
            raise ValueError(f"update_id {update_id} must exceed {self._last_update_id}")
        self._last_update_id = update_id
        self._update_ids = itertools.count(update_id + 1)

    def _remember_chats(self, update: JSONDict) -> None:
        """So the bot's replies carry the right chat type (group vs private)."""
        for value in update.values():
            if isinstance(value, dict):
                chat = value.get("chat") or value.get("message", {}).get("chat")
                if isinstance(chat, dict) and "id" in chat:
                    self._chats.setdefault(chat["id"], chat)

    def _chat(self, chat_id: ChatId) -> JSONDict:
        if chat_id in self._chats:
            return dict(self._chats[chat_id])
        if isinstance(chat_id, int) and chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "Test"}
        return {"id": chat_id, "type": "supergroup", "title": f"Test chat {chat_id}"}

    # -- test controls: waiting and reading ------------------------------------------------

    def sent_messages(self, chat_id: ChatId | None = None) -> list[SentMessage]:
        """Every ``sendMessage``/``editMessageText`` that succeeded, in order."""
        return [m for m in self._sent if chat_id is None or m["chat_id"] == chat_id]

    def calls_of(self, method: str) -> list[JSONDict]:
        """The parameters of every call of ``method`` (including failed ones), in order."""
        return [params for name, params in self.calls if name.lower() == method.lower()]

    def commands(self, scope: Mapping[str, Any] | None = None, language_code: str = "") -> list[JSONDict]:
        """The commands last set for a scope, e.g. ``{"type": "chat", "chat_id": 7}``."""
        return self.commands_by_scope.get(scope_key(scope, language_code), [])

    @property
    def pending_updates(self) -> list[JSONDict]:
        """Injected updates the bot has not confirmed yet (fetched or not)."""
        return list(self._pending)

    @property
    def unanswered_callback_queries(self) -> set[str]:
        """Callback queries nobody answered: the user's button would keep spinning."""
        return set(self._open_callback_queries)

    async def wait_for_message(
        self,
        chat_id: ChatId,
        predicate: Callable[[str], bool] | None = None,
        timeout: float = 10.0,
    ) -> SentMessage:
        """The first message to ``chat_id`` since the last wait for that chat matching ``predicate``.

        Messages that do not match are skipped for good; on timeout the cursor stays put and
        the AssertionError lists what was seen, which is usually the whole diagnosis.
        """
        start = self._message_cursors.get(chat_id, 0)
        found = await self._signal.wait_until(lambda: self._find_message(chat_id, start, predicate), timeout)
        if found is None:
            seen = [m["text"] for m in self._sent[start:] if m["chat_id"] == chat_id]
            raise AssertionError(f"no matching message to {chat_id} within {timeout}s; saw {seen!r}")
        index, message = found
        self._message_cursors[chat_id] = index + 1
        return message

    async def assert_no_message(self, chat_id: ChatId, wait: float = 0.3) -> None:
        """Fail if anything new reaches ``chat_id`` within ``wait`` seconds."""
        start = self._message_cursors.get(chat_id, 0)
        found = await self._signal.wait_until(lambda: self._find_message(chat_id, start, None), wait)
        if found is not None:
            raise AssertionError(f"unexpected message to {chat_id}: {found[1]['text']!r}")

    async def wait_for_call(self, method: str, timeout: float = 10.0) -> JSONDict:
        """The parameters of the first call of ``method`` since the last wait for it."""
        key = method.lower()
        start = self._call_cursors.get(key, 0)
        found = await self._signal.wait_until(lambda: self._find_call(key, start), timeout)
        if found is None:
            seen = sorted({name for name, _ in self.calls})
            raise AssertionError(f"no {method} call within {timeout}s; methods called: {seen}")
        index, params = found
        self._call_cursors[key] = index + 1
        return params

    async def wait_for_call_count(self, method: str, count: int, timeout: float = 10.0) -> None:
        """Wait until ``method`` has been called ``count`` times in all (an answer may still be due)."""
        key = method.lower()
        reached = await self._signal.wait_until(
            lambda: True if sum(1 for name, _ in self.calls if name.lower() == key) >= count else None,
            timeout,
        )
        if reached is None:
            raise AssertionError(f"{method} called fewer than {count} times within {timeout}s")

    async def wait_until_updates_consumed(self, timeout: float = 10.0) -> None:
        """Wait until the bot confirmed (polled past) every injected update."""
        done = await self._signal.wait_until(lambda: True if not self._pending else None, timeout)
        if done is None:
            ids = [u["update_id"] for u in self._pending]
            raise AssertionError(f"updates {ids} still unconfirmed after {timeout}s")

    def _find_message(
        self, chat_id: ChatId, start: int, predicate: Callable[[str], bool] | None
    ) -> tuple[int, SentMessage] | None:
        for index in range(start, len(self._sent)):
            message = self._sent[index]
            if message["chat_id"] == chat_id and (predicate is None or predicate(message["text"])):
                return index, message
        return None

    def _find_call(self, key: str, start: int) -> tuple[int, JSONDict] | None:
        for index in range(start, len(self.calls)):
            name, params = self.calls[index]
            if name.lower() == key:
                return index, params
        return None

    # -- Bot API methods: bot and polling --------------------------------------------------

    def _get_me(self, _params: JSONDict) -> JSONDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _always_true(self, _params: JSONDict) -> bool:
        return True

    async def _get_updates(self, params: JSONDict) -> list[JSONDict]:
        """Long polling: park until an update is there, the timeout passes, or a newer poll."""
        self._confirm_updates(int(params.get("offset") or 0))
        limit = max(1, min(int(params.get("limit") or MAX_UPDATES_PER_CALL), MAX_UPDATES_PER_CALL))
        timeout = float(params.get("timeout") or 0)
        self._poll_generation += 1
        generation = self._poll_generation
        self._signal.notify()
        batch = await self._signal.wait_until(lambda: self._poll(generation, limit), timeout)
        return copy.deepcopy(batch or [])

    def _poll(self, generation: int, limit: int) -> list[JSONDict] | None:
        if generation != self._poll_generation:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
        return self._pending[:limit] or None

    def _confirm_updates(self, offset: int) -> None:
        """Telegram's offset rule: a positive offset confirms every update below it; a negative
        one keeps only the last ``-offset`` updates."""
        if offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        elif offset < 0:
            self._pending = self._pending[offset:]
        self._signal.notify()

    def _delete_webhook(self, params: JSONDict) -> bool:
        if params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    def _get_webhook_info(self, _params: JSONDict) -> JSONDict:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": len(self._pending)}

    # -- Bot API methods: commands and menu ------------------------------------------------

    def _set_my_commands(self, params: JSONDict) -> bool:
        commands = _validate_commands(params.get("commands"))
        key = scope_key(params.get("scope"), params.get("language_code") or "")
        self.commands_by_scope[key] = commands
        return True

    def _set_my_description(self, params: JSONDict) -> bool:
        return _set_text(self.descriptions, params, "description", 512)

    def _set_my_short_description(self, params: JSONDict) -> bool:
        return _set_text(self.short_descriptions, params, "short_description", 120)

    def _get_my_commands(self, params: JSONDict) -> list[JSONDict]:
        return self.commands(params.get("scope"), params.get("language_code") or "")

    def _delete_my_commands(self, params: JSONDict) -> bool:
        key = scope_key(params.get("scope"), params.get("language_code") or "")
        self.commands_by_scope.pop(key, None)
        return True

    def _set_chat_menu_button(self, params: JSONDict) -> bool:
        self.menu_buttons[params.get("chat_id")] = params.get("menu_button") or {"type": "default"}
        return True

    # -- Bot API methods: messages ---------------------------------------------------------

    def _send_message(self, params: JSONDict) -> JSONDict:
        chat_id = _require_chat_id(params)
        text = _validate_text(params)
        _validate_reply_markup(params.get("reply_markup"))
        message = self._new_bot_message(chat_id, {"text": text}, params.get("reply_markup"))
        self._record_sent("sendMessage", message, params)
        return message

    def _send_document(self, params: JSONDict) -> JSONDict:
        """A document upload: kept whole in `documents`; its caption counts as the message's text."""
        chat_id = _require_chat_id(params)
        upload = params.get("document")
        if not isinstance(upload, dict) or not upload.get("data"):
            raise ApiError(400, "Bad Request: there is no document in the request")
        caption = params.get("caption") or ""
        if len(caption) > 1024:
            raise ApiError(400, "Bad Request: message caption is too long")
        file_name = upload.get("filename") or "document"
        number = len(self.documents) + 1
        content = {
            "document": {
                "file_id": f"doc{number}",
                "file_unique_id": f"udoc{number}",
                "file_name": file_name,
                "file_size": len(upload["data"]),
            }
        }
        message = self._new_bot_message(chat_id, {**content, "caption": caption}, None)
        self.documents.append(
            {"chat_id": chat_id, "filename": file_name, "caption": caption, "data": upload["data"]}
        )
        self._sent.append(
            SentMessage(
                method="sendDocument",
                chat_id=chat_id,
                message_id=message["message_id"],
                text=caption,
                reply_markup=None,
                parse_mode=params.get("parse_mode"),
                reply_to=None,
            )
        )
        return message

    def _edit_message_text(self, params: JSONDict) -> JSONDict | bool:
        text = _validate_text(params)
        _validate_reply_markup(params.get("reply_markup"))
        if params.get("inline_message_id"):
            return True
        old = self._find_bot_message(params)
        new = self._edited(old, {"text": text}, params.get("reply_markup"))
        self._record_sent("editMessageText", new, params)
        return new

    def _edit_message_reply_markup(self, params: JSONDict) -> JSONDict | bool:
        _validate_reply_markup(params.get("reply_markup"))
        if params.get("inline_message_id"):
            return True
        old = self._find_bot_message(params)
        return self._edited(old, {}, params.get("reply_markup"))

    def _delete_message(self, params: JSONDict) -> bool:
        key = (_require_chat_id(params), int(params.get("message_id") or 0))
        if self._bot_messages.pop(key, None) is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        return True

    def _new_bot_message(self, chat_id: ChatId, content: JSONDict, markup: Any) -> JSONDict:
        message: JSONDict = {
            "message_id": next(self._message_ids),
            "date": _now(),
            "chat": self._chat(chat_id),
            "from": self.bot_user,
            **content,
        }
        inline = _inline_markup(markup)
        if inline is not None:
            message["reply_markup"] = inline
        self._bot_messages[(chat_id, message["message_id"])] = message
        return copy.deepcopy(message)

    def bot_message(self, chat_id: ChatId, message_id: int) -> JSONDict | None:
        """The bot's message as it stands now (after any edits), or None if it was deleted or never sent."""
        message = self._bot_messages.get((chat_id, message_id))
        return copy.deepcopy(message) if message is not None else None

    def _find_bot_message(self, params: JSONDict) -> JSONDict:
        key = (_require_chat_id(params), int(params.get("message_id") or 0))
        message = self._bot_messages.get(key)
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        return message

    def _edited(self, old: JSONDict, changes: JSONDict, reply_markup: Any) -> JSONDict:
        """Apply an edit like Telegram: a missing markup removes the keyboard, no-ops are 400."""
        new = {k: v for k, v in old.items() if k not in ("reply_markup", "edit_date")}
        new.update(changes)
        inline = _inline_markup(reply_markup)
        if inline is not None:
            new["reply_markup"] = inline
        if new.get("text") == old.get("text") and inline == old.get("reply_markup"):
            raise ApiError(400, NOT_MODIFIED)
        new["edit_date"] = _now()
        self._bot_messages[(old["chat"]["id"], old["message_id"])] = new
        return copy.deepcopy(new)

    def _record_sent(self, method: str, message: JSONDict, params: JSONDict) -> None:
        self._sent_at.append(time.monotonic())
        self._sent.append(
            SentMessage(
                method=method,
                chat_id=message["chat"]["id"],
                message_id=message["message_id"],
                text=message["text"],
                reply_markup=params.get("reply_markup"),
                parse_mode=params.get("parse_mode"),
                reply_to=(params.get("reply_parameters") or {}).get("message_id"),
            )
        )

    # -- Bot API methods: callback queries and payments ------------------------------------

    def _answer_callback_query(self, params: JSONDict) -> bool:
        query_id = str(params.get("callback_query_id"))
        if query_id not in self._open_callback_queries:
            raise ApiError(400, QUERY_TOO_OLD)
        self._open_callback_queries.discard(query_id)
        self.answered_callback_queries[query_id] = params
        return True

    def _send_invoice(self, params: JSONDict) -> JSONDict:
        chat_id = _require_chat_id(params)
        _validate_invoice(params)
        invoice = {
            "title": params["title"],
            "description": params["description"],
            "start_parameter": params.get("start_parameter") or "",
            "currency": params["currency"],
            "total_amount": sum(int(price["amount"]) for price in params["prices"]),
        }
        return self._new_bot_message(chat_id, {"invoice": invoice}, params.get("reply_markup"))

    def _answer_pre_checkout_query(self, params: JSONDict) -> bool:
        query_id = str(params.get("pre_checkout_query_id"))
        if query_id not in self._open_pre_checkout_queries:
            raise ApiError(400, "Bad Request: QUERY_ID_INVALID")
        self._raise_if_pre_checkout_expired(query_id)
        if not params.get("ok") and not params.get("error_message"):
            raise ApiError(400, "Bad Request: error_message is required when ok is false")
        self._open_pre_checkout_queries.discard(query_id)
        self.pre_checkout_answers[query_id] = params
        return True

    def _refund_star_payment(self, params: JSONDict) -> bool:
        charge_id = str(params.get("telegram_payment_charge_id"))
        charge = self._charges.get(charge_id)
        if charge is None or charge.user["id"] != params.get("user_id"):
            raise ApiError(400, "Bad Request: CHARGE_ID_INVALID")
        if charge_id in self.refunded_charges:
            raise ApiError(400, "Bad Request: CHARGE_ALREADY_REFUNDED")
        self.refunded_charges.add(charge_id)
        self.star_transactions.append(_refund_transaction(charge_id, charge))
        return True

    def _get_star_transactions(self, params: JSONDict) -> JSONDict:
        """The Bot API documents this list "in chronological order": payments and refunds (a refund
        carries its charge's id, with the user as ``receiver``) as they happened, paged by offset."""
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or MAX_STAR_TRANSACTIONS_PER_CALL)
        if offset < 0 or not 1 <= limit <= MAX_STAR_TRANSACTIONS_PER_CALL:
            raise ApiError(400, "Bad Request: LIMIT_INVALID")
        return {"transactions": copy.deepcopy(self.star_transactions[offset : offset + limit])}

    # -- payments: timeouts of unknown outcome and the pre-checkout deadline ----------------

    def lose_next_response(self, method: str, seconds: float = 30.0, times: int = 1) -> None:
        """Do the next ``times`` calls of ``method`` but hold each answer back for ``seconds``.

        A timeout of unknown outcome: Telegram did the work (a refund is made, an invoice is
        sent) while the client gave up waiting, so the caller must find out later what happened.
        """
        self._lost_responses.setdefault(method.lower(), deque()).extend([seconds] * times)

    async def _lose_response_if_scripted(self, key: str) -> None:
        queue = self._lost_responses.get(key)
        if queue:
            await asyncio.sleep(queue.popleft())

    def _raise_if_pre_checkout_expired(self, query_id: str) -> None:
        """Telegram drops a pre-checkout query that is not answered within 10 seconds."""
        opened = self._pre_checkout_opened_at.get(query_id, time.monotonic())
        if time.monotonic() - opened > self.pre_checkout_answer_seconds:
            self._open_pre_checkout_queries.discard(query_id)
            raise ApiError(400, QUERY_TOO_OLD)

    # -- outages: Telegram slow or down for a while --------------------------------------

    def stall_next(
        self, method: str, seconds: float, *, times: int = 1, status: int = 504, description: str = ""
    ) -> None:
        """Hold the next ``times`` calls of ``method`` for ``seconds``, then answer ``status`` having
        done nothing: Telegram's front end giving up on a backend that never handled the call."""
        error = ApiError(status, description or _default_description(status, None))
        self._stalls.setdefault(method.lower(), deque()).extend([(seconds, error)] * times)

    def start_outage(
        self, method: str, status: int = 502, description: str = "Bad Gateway", *, stall: float = 0.0
    ) -> None:
        """Answer every call of ``method`` with ``status`` (502: PTB's NetworkError) until `end_outage`,
        each after ``stall`` seconds (longer than the client waits: a timeout), having done nothing."""
        self._outages[method.lower()] = (stall, ApiError(status, description))

    def end_outage(self, method: str) -> None:
        self._outages.pop(method.lower(), None)

    async def go_offline(self) -> None:
        """Stop listening, so every request meets a refused connection, until `come_back`."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def come_back(self) -> None:
        """Listen again on the same port, with everything recorded so far kept."""
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1, handle_signals=False)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        await web.SockSite(self._runner, sock).start()

    def sent_times(self, chat_id: ChatId | None = None) -> list[float]:
        """When each message (to ``chat_id``, or any) was accepted, in ``time.monotonic()`` seconds."""
        pairs = zip(self._sent_at, self._sent, strict=True)
        return [at for at, message in pairs if chat_id in (None, message["chat_id"])]

    async def _stall_if_scripted(self, key: str) -> None:
        queue = self._stalls.get(key)
        if queue:
            seconds, error = queue.popleft()
            await asyncio.sleep(seconds)
            raise error

    async def _raise_if_outage(self, key: str) -> None:
        outage = self._outages.get(key)
        if outage is not None:
            stall, error = outage
            if stall:
                await asyncio.sleep(stall)
            raise error


def _default_description(status: int, retry_after: int | None) -> str:
    if retry_after is not None:
        return f"Too Many Requests: retry after {retry_after}"
    return {
        400: "Bad Request: injected failure",
        403: "Forbidden: injected failure",
        409: "Conflict: injected failure",
    }.get(status, f"Internal Server Error: injected failure ({status})")


def _incoming_transaction(charge_id: str, amount: int, user: JSONDict, payload: str) -> JSONDict:
    return {
        "id": charge_id,
        "amount": amount,
        "date": _now(),
        "source": {
            "type": "user",
            "transaction_type": "invoice_payment",
            "user": user,
            "invoice_payload": payload,
        },
    }


def _refund_transaction(charge_id: str, charge: _Charge) -> JSONDict:
    return {
        "id": charge_id,
        "amount": charge.amount,
        "date": _now(),
        "receiver": {"type": "user", "transaction_type": "invoice_payment", "user": charge.user},
    }
