"""A context variable set for the length of one block: one request or one command, never the
whole process, so that concurrent requests keep their own values."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")


@contextmanager
def scoped(variable: ContextVar[T], value: T) -> Iterator[None]:
    """``variable`` holds ``value`` inside the block and its former value after it."""
    token = variable.set(value)
    try:
        yield
    finally:
        variable.reset(token)
