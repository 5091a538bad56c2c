"""What irisgate knows of Runway's video models: endpoints, ratios, durations, optional fields.

From the Runway developer API (`X-Runway-Version: 2024-11-06`, runwayml SDK 3.22 to 5.24). Requests
for a model listed here are checked before they leave, with a 400 that lists the allowed values;
models not listed pass through unchecked, so new Runway models work the day they ship.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TEXT_TO_VIDEO = "/v1/text_to_video"
IMAGE_TO_VIDEO = "/v1/image_to_video"
VIDEO_TO_VIDEO = "/v1/video_to_video"

GEN4_RATIOS = ("1280:720", "720:1280", "1104:832", "832:1104", "960:960", "1584:672")
VEO_RATIOS = ("1280:720", "720:1280", "1080:1920", "1920:1080")
ALEPH_RATIOS = ("1280:720", "720:1280", "1104:832", "960:960", "832:1104", "1584:672", "848:480", "640:480")


@dataclass(frozen=True)
class RunwayModel:
    ratios: dict[str, tuple[str, ...]]  # endpoint → allowed ratios (the endpoints the model serves)
    durations: tuple[int, ...] = ()  # allowed durations; () = the model takes no duration
    seed: bool = False
    audio: bool = False
    negative_prompt: bool = False
    ratio_optional: bool = False
    fields: frozenset[str] = field(default_factory=frozenset)

    @property
    def endpoints(self) -> tuple[str, ...]:
        return tuple(self.ratios)

    @property
    def default_duration(self) -> int | None:
        """Runway's unified default is 2 s; where a model does not allow 2, its shortest duration."""
        if not self.durations:
            return None
        return 2 if 2 in self.durations else min(self.durations)


RANGE_2_10 = tuple(range(2, 11))

RUNWAY_MODELS: dict[str, RunwayModel] = {
    "gen4_turbo": RunwayModel({IMAGE_TO_VIDEO: GEN4_RATIOS}, RANGE_2_10, seed=True),
    "gen4.5": RunwayModel(
        {IMAGE_TO_VIDEO: GEN4_RATIOS, TEXT_TO_VIDEO: ("1280:720", "720:1280")}, RANGE_2_10, seed=True
    ),
    "gen3a_turbo": RunwayModel({IMAGE_TO_VIDEO: ("1280:768", "768:1280")}, (5, 10), seed=True),
    "veo3": RunwayModel({IMAGE_TO_VIDEO: VEO_RATIOS, TEXT_TO_VIDEO: VEO_RATIOS}, (8,)),
    "veo3.1": RunwayModel(
        {IMAGE_TO_VIDEO: VEO_RATIOS, TEXT_TO_VIDEO: VEO_RATIOS},
        (4, 6, 8),
        seed=True,
        audio=True,
        negative_prompt=True,
    ),
    "veo3.1_fast": RunwayModel(
        {IMAGE_TO_VIDEO: VEO_RATIOS, TEXT_TO_VIDEO: VEO_RATIOS},
        (4, 6, 8),
        seed=True,
        audio=True,
        negative_prompt=True,
    ),
    "gen4_aleph": RunwayModel({VIDEO_TO_VIDEO: ALEPH_RATIOS}, (), seed=True, ratio_optional=True),
}
