"""Pooled random UUIDs: valid version 4 UUIDs, never repeated, not shared with a forked child."""

from __future__ import annotations

import multiprocessing
import uuid

from irisgate.random_ids import IDS_PER_DRAW, uuid4_text


def test_ids_are_version_4_uuids_in_canonical_text() -> None:
    ids = [uuid4_text() for _ in range(3 * IDS_PER_DRAW)]  # several draws
    assert len(set(ids)) == len(ids)
    for text in ids:
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant, str(parsed)) == (4, uuid.RFC_4122, text)
    every_bit = 0
    for text in ids:
        every_bit |= uuid.UUID(text).int
    assert every_bit == (1 << 128) - 1 & ~(0xB << 76) & ~(0x1 << 62)  # all but the fixed bits vary


def _child_id(queue: multiprocessing.Queue) -> None:
    queue.put(uuid4_text())


def test_a_forked_child_does_not_reuse_the_parents_draw() -> None:
    uuid4_text()  # the parent now holds a draw of unused randomness
    fork = multiprocessing.get_context("fork")
    queue = fork.Queue()
    child = fork.Process(target=_child_id, args=(queue,))
    child.start()
    from_child = queue.get()
    child.join()
    assert from_child != uuid4_text()  # without the reset, both would take the same next id
