"""The hot writes besides the purchase, each in its two spellings: one per backend, one trip each.

SQLite runs the statements (storage.joining, storage.payments) as one transaction in the bot's own
process; PostgreSQL applies the same guards inside the server, as one call of a function of
migration 0010 (storage.postgres). Both take the same arguments and return the same result, which
`Database.hot` relies on to run either; tests/core/test_postgres_functions.py runs both spellings on the
same states on PostgreSQL and compares what they return and the rows they leave. A change to one
spelling is a change to the other.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar

from storage import joining, payments, postgres
from storage.reads import Query

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class HotWrite(Generic[P, T]):
    statements: Callable[Concatenate[Query, P], Coroutine[Any, Any, T]]
    function: Callable[Concatenate[Query, P], Coroutine[Any, Any, T]]


REGISTER = HotWrite(joining.register, postgres.register)  # /start
JOIN = HotWrite(joining.join, postgres.join)  # /join
CREDIT = HotWrite(payments.credit_charge, postgres.credit_charge)  # a payment, exactly once
