"""Video ids: they route themselves, sort by creation, and old ids still decode."""

from __future__ import annotations

import base64
import uuid

import pytest

from irisgate.jobs.ids import PREFIX, VideoRef, decode_video_id, encode_video_id
from irisgate.schemas.errors import GatewayError

UUID_REF = VideoRef("runway", str(uuid.uuid4()), str(uuid.uuid4()))
TEXT_REF = VideoRef("runware", "key-1", "task:42")


@pytest.mark.parametrize("ref", [UUID_REF, TEXT_REF])
def test_an_id_gives_back_its_ref(ref: VideoRef) -> None:
    video_id = encode_video_id(ref)
    assert video_id.startswith(PREFIX)
    assert decode_video_id(video_id) == ref


def test_ids_sort_by_creation_whatever_their_tasks() -> None:
    times = [1, 255, 256, 1_700_000_000_000, 1_800_000_000_000, 16**12 - 1]
    refs = [VideoRef("runway", str(uuid.uuid4()), str(uuid.uuid4())) for _ in times]
    ids = [encode_video_id(ref, created_ms=ms) for ref, ms in zip(refs, times, strict=True)]
    assert sorted(ids) == ids
    assert [decode_video_id(i) for i in ids] == refs


def test_ids_made_before_the_time_was_added_still_decode() -> None:
    packed = bytes([1, 2]) + uuid.UUID(UUID_REF.key_id).bytes + uuid.UUID(UUID_REF.upstream_id).bytes
    old = PREFIX + base64.urlsafe_b64encode(packed).rstrip(b"=").decode()
    assert old[len(PREFIX)] == "A"  # a version byte of 1 or 2: never a hex digit
    assert decode_video_id(old) == UUID_REF


@pytest.mark.parametrize(
    "body", ["0123456789ab", "0123456789abZZZZ", "0123456789ab" + "A" * 40, "fffffffffff"]
)
def test_a_time_with_nothing_valid_after_it_is_not_an_id(body: str) -> None:
    with pytest.raises(GatewayError) as caught:
        decode_video_id(PREFIX + body)
    assert caught.value.status == 404
