"""Where a video job's row lives: its ``seq``, the job table's integer primary key.

A job's id (``jobs/ids.py``) begins with its seq in 16 hex digits: the creation time in milliseconds,
then a counter (``LOW_BITS``). So the store finds a job's row from the id alone, by the table's own
B-tree (SQLite's rowid), and needs no index of ids: a create writes one table page (sometimes two),
where a table keyed by id, with its index of ids and one of creation times, wrote three or four.
Fewer pages a commit are fewer for the checkpoint to sync, and a checkpoint is what holds up the
slowest requests (``sqlite_checkpoints.py``; measured in migration 0007). Rows also sort by creation
with no index of times: lists walk the seqs.

Ids made before (without a seq) are *legacy*: their rows have negative seqs (``legacy_seq``: the
creation time again, shifted below zero, so that they sort by creation and before every newer job),
and a partial index of their ids (``seq < 0``) that new jobs never write to finds them.
"""

from __future__ import annotations

import itertools
import re
import secrets
import time
from datetime import UTC, datetime

ID_PREFIX = "video_"
SEQ_DIGITS = 16  # hex digits of the seq at the start of an id, after ID_PREFIX
LOW_BITS = 21  # the counter under the milliseconds: 2 million jobs a millisecond per process
LOW_MASK = (1 << LOW_BITS) - 1
MAX_MS = (1 << (63 - LOW_BITS)) - 1  # a seq fits a signed 64-bit integer: until the year 2109
LEGACY_OFFSET = 1 << 63  # legacy seqs: the same layout, shifted below zero
_SEQ_IN_ID = re.compile(f"{ID_PREFIX}([0-9a-f]{{{SEQ_DIGITS}}})")

# Consecutive jobs of one process in one millisecond sort in the order they were made; jobs of
# processes that start at different places rarely meet, and a seq already taken is a conflict the
# caller resolves by taking the next one (``Store.insert_job`` tells it).
_counter = itertools.count(secrets.randbelow(1 << LOW_BITS))


def new_seq(created_ms: int | None = None) -> int:
    """A seq for a job made now (or at ``created_ms``, milliseconds since the epoch)."""
    if created_ms is None:
        created_ms = time.time_ns() // 1_000_000
    if not 0 <= created_ms <= MAX_MS:
        raise ValueError(f"created_ms out of range: {created_ms}")
    return created_ms << LOW_BITS | next(_counter) & LOW_MASK


def legacy_seq(created_at: datetime, low: int | None = None) -> int:
    """A seq for the row of a legacy id (one made before seqs), created at ``created_at`` (naive:
    UTC), with ``low`` (else the counter's next) under the milliseconds."""
    if created_at.tzinfo is None:
        created_at = created_at.replace(tzinfo=UTC)
    created_ms = max(0, min(int(created_at.timestamp() * 1000), MAX_MS))
    return (created_ms << LOW_BITS | (next(_counter) if low is None else low) & LOW_MASK) - LEGACY_OFFSET


def seq_in_id(job_id: str) -> int | None:
    """The seq an id begins with; ``None`` for a legacy id, or anything else that has none."""
    found = _SEQ_IN_ID.match(job_id)
    if found is None:
        return None
    seq = int(found.group(1), 16)
    return seq if seq >> LOW_BITS <= MAX_MS else None
