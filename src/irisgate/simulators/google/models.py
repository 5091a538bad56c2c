"""The models the simulated Gemini API serves, and what each takes (the Gemini API's image and video
guides; kept apart from the provider's tables on purpose: the simulator plays Google, it does not
trust irisgate's own reading of the docs)."""

from __future__ import annotations

from dataclasses import dataclass

IMAGEN_RATIOS = ("1:1", "3:4", "4:3", "9:16", "16:9")
# aspect ratio → pixel size at each `sampleImageSize`
IMAGEN_PIXELS: dict[str, dict[str, tuple[int, int]]] = {
    "1:1": {"1K": (1024, 1024), "2K": (2048, 2048)},
    "3:4": {"1K": (896, 1280), "2K": (1792, 2560)},
    "4:3": {"1K": (1280, 896), "2K": (2560, 1792)},
    "9:16": {"1K": (768, 1408), "2K": (1536, 2816)},
    "16:9": {"1K": (1408, 768), "2K": (2816, 1536)},
}
IMAGEN_PEOPLE = ("dont_allow", "allow_adult", "allow_all")
# `aspectRatio` x `resolution` → the video's pixel size
VIDEO_PIXELS: dict[tuple[str, str], tuple[int, int]] = {
    ("16:9", "720p"): (1280, 720),
    ("9:16", "720p"): (720, 1280),
    ("16:9", "1080p"): (1920, 1080),
    ("9:16", "1080p"): (1080, 1920),
    ("16:9", "4k"): (3840, 2160),
    ("9:16", "4k"): (2160, 3840),
}


@dataclass(frozen=True)
class Imagen:
    sizes: tuple[str, ...] = ("1K",)
    max_images: int = 4


@dataclass(frozen=True)
class Veo:
    resolutions: tuple[str, ...] = ("720p",)
    durations: tuple[int, ...] = (4, 6, 8)
    default_duration: int = 8
    long_only: tuple[str, ...] = ()  # resolutions that take `durations[-1]` seconds only
    wide_only: tuple[str, ...] = ()  # resolutions that take 16:9 only
    takes_resolution: bool = True
    people_text: tuple[str, ...] = ("allow_all",)
    people_image: tuple[str, ...] = ("allow_adult",)


IMAGEN: dict[str, Imagen] = {
    "imagen-4.0-generate-001": Imagen(sizes=("1K", "2K")),
    "imagen-4.0-ultra-generate-001": Imagen(sizes=("1K", "2K")),
    "imagen-4.0-fast-generate-001": Imagen(),
}
VEO: dict[str, Veo] = {
    "veo-3.1-generate-preview": Veo(resolutions=("720p", "1080p", "4k"), long_only=("1080p", "4k")),
    "veo-3.1-fast-generate-preview": Veo(resolutions=("720p", "1080p", "4k"), long_only=("1080p", "4k")),
    "veo-3.0-generate-001": Veo(resolutions=("720p", "1080p"), wide_only=("1080p",)),
    "veo-3.0-fast-generate-001": Veo(resolutions=("720p", "1080p"), wide_only=("1080p",)),
    "veo-2.0-generate-001": Veo(
        durations=(5, 6, 8),
        takes_resolution=False,
        people_text=("allow_all", "allow_adult", "dont_allow"),
        people_image=("allow_adult", "dont_allow"),
    ),
}
# what an extra (unlisted) model is served as
GENERIC_IMAGEN = Imagen(sizes=("1K", "2K"))
GENERIC_VEO = Veo(
    resolutions=("720p", "1080p", "4k"),
    durations=(4, 5, 6, 7, 8),
    people_text=IMAGEN_PEOPLE,
    people_image=IMAGEN_PEOPLE,
)
