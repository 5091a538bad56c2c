"""Video ids (irisgate.jobs.ids): one format, sorted by creation, and nothing inside them to trust."""

from __future__ import annotations

import pytest

from irisgate.jobs.ids import PREFIX, is_video_id, new_video_id


def test_ids_sort_by_creation_and_never_repeat() -> None:
    made = [new_video_id(millis) for millis in (1_700_000_000_000, 1_700_000_000_001, 1_800_000_000_000)]
    assert made == sorted(made)
    assert all(is_video_id(one) and one.startswith(PREFIX) for one in made)
    assert len({new_video_id(1) for _ in range(1000)}) == 1000  # 80 random bits under the same time


@pytest.mark.parametrize(
    "value",
    [
        "video_",
        "video_" + "0" * 31,
        "video_" + "0" * 33,
        "video_" + "A" * 32,  # upper case: not an id irisgate makes
        "video_0194" + "g" * 28,
        "Video_" + "0" * 32,
        "video_AQIGSeXqSXlHq4tBgNheVq9sFDV91_zZRDOEBshTqYE_6w",  # the id form of earlier versions
        "0" * 32,
    ],
)
def test_anything_else_is_not_an_id(value: str) -> None:
    assert not is_video_id(value)
