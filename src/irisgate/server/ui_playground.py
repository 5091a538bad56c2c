"""Playground: try image generation, image edit and video generation from the browser.

The page is a form; `static/app.js` calls the open `/v1` API with fetch and shows the results, so
what it proves is exactly what a client of the gateway gets.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from irisgate.providers.catalog import DEFAULT_IMAGE_MODEL, DEFAULT_VIDEO_MODEL, PROVIDERS
from irisgate.server.ui import page, render

IMAGE_SIZES = ("256x256", "512x512", "1024x1024", "1024x1536", "1536x1024")
VIDEO_SIZES = ("1280x720", "720x1280", "1920x1080")


async def model_suggestions(request: Request) -> tuple[list[str], list[str]]:
    """`provider/model` suggestions (images, videos) for the configured providers: each key's
    allowlist, else the catalog's suggestions. A model of a provider that has no image models is a
    video model."""
    images: list[str] = []
    videos: list[str] = []
    for provider in await request.app.state.gateway.admin.list_providers():
        descriptor = PROVIDERS.get(provider["name"])
        if descriptor is None:
            continue
        listed = [m for key in provider["keys"] for m in key["models"] if m != "*"]
        for model in dict.fromkeys(listed or descriptor.models):
            is_video = model in descriptor.video_models or not descriptor.image_models
            (videos if is_video else images).append(f"{descriptor.name}/{model}")
    return images, videos


def default_of(models: list[str], preferred: str) -> str:
    return preferred if preferred in models else (models[0] if models else "")


@page
async def playground_page(request: Request) -> Response:
    images, videos = await model_suggestions(request)
    context = {
        "section": "playground",
        "image_models": images,
        "video_models": videos,
        "image_model": default_of(images, DEFAULT_IMAGE_MODEL),
        "video_model": default_of(videos, DEFAULT_VIDEO_MODEL),
        "image_sizes": IMAGE_SIZES,
        "video_sizes": VIDEO_SIZES,
    }
    return render(request, "playground.html", context)


routes = [Route("/playground", playground_page, methods=["GET"])]
