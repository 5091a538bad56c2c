"""Per-model rules for `videoInference`: allowed durations and width x height pairs.

The real API checks these per model (reference §1.6; each model page lists its values). The entries
below are ILLUSTRATIVE: a few real AIRs with values taken from their public model pages at the time
of writing, enough for a gateway to meet a "fixed pairs / fixed durations" model. They are data, not
a promise that the live API still accepts exactly these values.

A well-formed AIR that is not in the table follows the generic rule: any duration from 1 to 20
seconds, and width and height multiples of 8 from 256 to 1920 (default 1920x1080, 5 s).

`sim:video@1` is the simulator's own cheap test model (small sizes, short clips), so tests decode
real videos without paying for 1080p.
"""

from __future__ import annotations

from dataclasses import dataclass

GENERIC_DURATION_MIN = 1.0
GENERIC_DURATION_MAX = 20.0
GENERIC_DIMENSION_MIN = 256
GENERIC_DIMENSION_MAX = 1920
GENERIC_DIMENSION_STEP = 8
GENERIC_DEFAULT_SIZE = (1920, 1080)
GENERIC_DEFAULT_DURATION = 5.0

TEST_MODEL = "sim:video@1"


def generic_dimension_ok(value: int) -> bool:
    return GENERIC_DIMENSION_MIN <= value <= GENERIC_DIMENSION_MAX and value % GENERIC_DIMENSION_STEP == 0


@dataclass(frozen=True)
class VideoModel:
    """What one video model accepts. `durations`/`sizes` None = the generic rule."""

    name: str
    durations: tuple[float, ...] | None
    sizes: tuple[tuple[int, int], ...] | None
    default_size: tuple[int, int]
    default_duration: float

    def allows_duration(self, seconds: float) -> bool:
        if self.durations is None:
            return GENERIC_DURATION_MIN <= seconds <= GENERIC_DURATION_MAX
        return any(abs(seconds - allowed) < 1e-9 for allowed in self.durations)

    def allows_size(self, width: int, height: int) -> bool:
        if self.sizes is None:
            return generic_dimension_ok(width) and generic_dimension_ok(height)
        return (width, height) in self.sizes

    def duration_rule(self) -> str:
        if self.durations is None:
            return f"a number between {GENERIC_DURATION_MIN:g} and {GENERIC_DURATION_MAX:g}"
        return "one of " + ", ".join(f"{d:g}" for d in self.durations)

    def size_rule(self) -> str:
        if self.sizes is None:
            return (
                f"multiples of {GENERIC_DIMENSION_STEP} between {GENERIC_DIMENSION_MIN} "
                f"and {GENERIC_DIMENSION_MAX}"
            )
        return "one of " + ", ".join(f"{w}x{h}" for w, h in self.sizes)


# Illustrative values (see the module docstring).
VIDEO_MODELS: dict[str, VideoModel] = {
    model.name: model
    for model in (
        # Kling 2.1 Pro
        VideoModel("klingai:5@3", (5, 10), ((1920, 1080), (1080, 1920), (1080, 1080)), (1920, 1080), 5),
        # Google Veo 3
        VideoModel(
            "google:3@3",
            (8,),
            ((1920, 1080), (1080, 1920), (1280, 720), (720, 1280)),
            (1280, 720),
            8,
        ),
        # ByteDance Seedance 1.0 Lite (480p and 720p tiers)
        VideoModel(
            "bytedance:1@1",
            (5, 10),
            (
                (864, 480),
                (736, 544),
                (640, 640),
                (544, 736),
                (480, 864),
                (1248, 704),
                (1120, 832),
                (960, 960),
                (832, 1120),
                (704, 1248),
            ),
            (864, 480),
            5,
        ),
        # Runway Gen-4 Turbo through Runware
        VideoModel(
            "runway:1@1",
            (5, 10),
            ((1280, 720), (720, 1280), (1104, 832), (832, 1104), (960, 960), (1584, 672)),
            (1280, 720),
            5,
        ),
        # The simulator's cheap test model.
        VideoModel(TEST_MODEL, (1, 2, 3, 5), ((320, 192), (192, 320), (256, 256)), (320, 192), 2),
    )
}


def video_model(air: str) -> VideoModel:
    """The table entry for ``air``, or the generic rule for any other well-formed AIR."""
    known = VIDEO_MODELS.get(air)
    if known is not None:
        return known
    return VideoModel(air, None, None, GENERIC_DEFAULT_SIZE, GENERIC_DEFAULT_DURATION)
