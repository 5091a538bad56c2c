"""Video ids: they route themselves, sort by creation, name their rows, and old ids still decode."""

from __future__ import annotations

import base64
import uuid

import pytest

from irisgate.jobs.ids import PREFIX, VideoRef, decode_video_id, encode_video_id
from irisgate.schemas.errors import GatewayError
from irisgate.store.job_seqs import MAX_MS, new_seq, seq_in_id

UUID_REF = VideoRef("runway", str(uuid.uuid4()), str(uuid.uuid4()))
TEXT_REF = VideoRef("runware", "key-1", "task:42")


@pytest.mark.parametrize("ref", [UUID_REF, TEXT_REF])
def test_an_id_gives_back_its_ref(ref: VideoRef) -> None:
    video_id = encode_video_id(ref)
    assert video_id.startswith(PREFIX)
    assert decode_video_id(video_id) == ref


def test_ids_sort_by_creation_whatever_their_tasks() -> None:
    times = [0, 1, 255, 256, 1_700_000_000_000, 1_800_000_000_000, MAX_MS]
    seqs = [new_seq(ms) for ms in times] + [new_seq(MAX_MS)]  # the last two: one millisecond
    refs = [VideoRef("runway", str(uuid.uuid4()), str(uuid.uuid4())) for _ in seqs]
    ids = [encode_video_id(ref, seq) for ref, seq in zip(refs, seqs, strict=True)]
    assert sorted(ids) == ids
    assert [decode_video_id(i) for i in ids] == refs
    assert [seq_in_id(i) for i in ids] == seqs  # the store finds each job's row by it
    assert seq_in_id(encode_video_id(TEXT_REF)) is not None  # a new id: a new seq, now
    with pytest.raises(ValueError):
        new_seq(MAX_MS + 1)


def test_ids_made_before_seqs_still_decode_and_have_none() -> None:
    packed = bytes([1, 2]) + uuid.UUID(UUID_REF.key_id).bytes + uuid.UUID(UUID_REF.upstream_id).bytes
    first = PREFIX + base64.urlsafe_b64encode(packed).rstrip(b"=").decode()
    assert first[len(PREFIX)] == "A"  # a version byte of 1 or 2: never a hex digit
    timed = PREFIX + f"{1_700_000_000_000:012x}" + first[len(PREFIX) :]  # the time alone: 12 digits
    for old in (first, timed):
        assert decode_video_id(old) == UUID_REF
        assert seq_in_id(old) is None  # a legacy row, found by the index of their ids


def test_a_seq_beyond_the_store_s_range_is_no_seq() -> None:
    beyond = PREFIX + "f" * 16 + encode_video_id(UUID_REF)[len(PREFIX) + 16 :]
    assert decode_video_id(beyond) == UUID_REF  # still routes itself
    assert seq_in_id(beyond) is None  # but names no row: a lookup misses, a rebuild is legacy


@pytest.mark.parametrize(
    "body",
    [
        "0123456789ab",
        "0123456789abZZZZ",
        "0123456789ab" + "A" * 40,
        "0123456789abcdef" + "A" * 40,
        "0123456789abcdef",
        "fffffffffff",
    ],
)
def test_a_time_with_nothing_valid_after_it_is_not_an_id(body: str) -> None:
    with pytest.raises(GatewayError) as caught:
        decode_video_id(PREFIX + body)
    assert caught.value.status == 404
