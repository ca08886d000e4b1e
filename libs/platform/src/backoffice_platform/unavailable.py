"""Recognising "the database is not there" among the errors a request can end with.

While PostgreSQL is down or unreachable, a request fails with one of a few connection-level
errors: the pool cannot connect (connection refused, host unknown), a pooled connection died
under the query (connection lost), or every connection is busy for longer than the pool waits
(pool timeout). None of these is the request's fault and all of them pass: the API answers 503
``database-unavailable`` with ``Retry-After`` instead of 500, so clients and load balancers back
off and retry.
"""

from __future__ import annotations

import socket

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

# Seconds a client should wait before retrying while the database is unavailable.
RETRY_AFTER_SECONDS = 5
# SQLSTATEs of a server that is unreachable, shutting down, starting up or out of connections.
_UNAVAILABLE_SQLSTATES = {"08000", "08001", "08003", "08004", "08006", "57P01", "57P02", "57P03", "53300"}
_CONNECTION_ERROR_NAMES = {
    "ConnectionDoesNotExistError",  # asyncpg: the connection was closed under the query
    "ConnectionFailureError",
    "CannotConnectNowError",
}


def database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) means the database could not be reached."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _is_connection_level(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def _is_connection_level(exc: BaseException) -> bool:
    if isinstance(exc, PoolTimeoutError):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        orig = exc.orig
        if getattr(orig, "sqlstate", None) in _UNAVAILABLE_SQLSTATES:
            return True
        return orig is not None and _is_connection_level(orig)
    if isinstance(exc, ConnectionError | socket.gaierror):
        return True
    # asyncpg raises a bare OSError ("Multiple exceptions: [Errno 111] Connect call failed ...")
    # when every address of the host refused; other OSError kinds (files) are not about the network.
    if type(exc) is OSError:
        return True
    if getattr(exc, "sqlstate", None) in _UNAVAILABLE_SQLSTATES:
        return True
    return type(exc).__name__ in _CONNECTION_ERROR_NAMES and type(exc).__module__.startswith("asyncpg")
