"""Correlation and causation of the work in progress, carried in a context variable.

The HTTP layer sets a correlation id per request and, once the caller is authenticated, the
actor; the consumer runtime sets the consumed event's correlation id, its id as causation and
its actor (the events a consumer appends were caused by whoever caused the consumed one);
periodic jobs act as ``job:<name>``. The event store stamps all three on every event it
appends, so one request can be traced, with who made it, through every event it causes.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class MessageContext:
    correlation_id: str
    causation_id: str | None = None
    actor: str | None = None


_current: contextvars.ContextVar[MessageContext | None] = contextvars.ContextVar(
    "backoffice_message_context", default=None
)


def current_context() -> MessageContext:
    """The active context, or a fresh correlation id when none is set."""
    ctx = _current.get()
    return ctx if ctx is not None else MessageContext(correlation_id=str(uuid.uuid4()))


def current_correlation_id() -> str | None:
    ctx = _current.get()
    return ctx.correlation_id if ctx else None


def act_as(actor: str) -> None:
    """Name the actor of the work in progress (the HTTP layer calls it once it knows who
    authenticated); events appended from here on in this context carry it."""
    ctx = current_context()
    _current.set(MessageContext(ctx.correlation_id, ctx.causation_id, actor))


@contextmanager
def message_context(
    correlation_id: str, causation_id: str | None = None, actor: str | None = None
) -> Iterator[MessageContext]:
    """Run a block with the given correlation and causation."""
    ctx = MessageContext(correlation_id, causation_id, actor)
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
