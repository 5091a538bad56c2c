"""What a client sees when the database cannot be used: 503 ``store_unavailable``, never a 500.

A full disk, a read-only file, a database server that is down: each makes the calls that need the
store fail with this error (the others keep working), and the next call tries again, so irisgate
recovers by itself when the disk or the server does.
"""

from __future__ import annotations

import os

import sqlalchemy.exc

from irisgate.schemas.errors import GatewayError

RETRY_AFTER_SECONDS = 5

# The driver's words (SQLite's, PostgreSQL's) → what irisgate says of them.
_CAUSES = (
    ("full", "its disk is full"),
    ("no space", "its disk is full"),
    ("readonly", "its database file is read-only"),
    ("read-only", "its database file is read-only"),
    ("unable to open", "its database file cannot be opened"),
    ("disk i/o", "its disk failed to read or write"),
    ("locked", "the database is locked by another process"),
)


class StoreUnavailable(GatewayError):
    def __init__(self, cause: str) -> None:
        super().__init__(
            503,
            f"irisgate cannot use its store right now: {cause}. Try again later.",
            code="store_unavailable",
            error_type="server_error",
            headers={"retry-after": str(RETRY_AFTER_SECONDS)},
            transient=True,
        )
        self.cause = cause


def describe(error: BaseException) -> str:
    """A short, secret-free reason for a database failure."""
    text = str(getattr(error, "orig", None) or error).lower()
    for words, cause in _CAUSES:
        if words in text:
            return cause
    if isinstance(error, OSError | sqlalchemy.exc.TimeoutError) or "connect" in text:
        return "its database server cannot be reached"
    return f"the database refused the operation ({type(error).__name__})"


class StoreIncompatible(Exception):
    """The database was made by a version of irisgate that this one cannot migrate."""


def file_problem(path: str) -> str | None:
    """What is wrong with a SQLite file that cannot be opened, if the filesystem can tell: SQLite
    says only "unable to open database file" when it cannot write its -wal and -shm files."""
    folder = os.path.dirname(path) or "."
    if os.path.exists(path) and not os.access(path, os.W_OK):
        return "its database file is read-only"
    if not os.access(folder, os.W_OK):
        return f"its folder {folder} is read-only"
    return None


# Failures of the database itself, not of irisgate's statements (an IntegrityError is a bug or a
# race the caller handles, and propagates as it is).
UNAVAILABLE = (
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.TimeoutError,
    OSError,
)
