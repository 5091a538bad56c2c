"""Playground: try image generation, image edit and video generation from the browser.

The page is a form; `static/app.js` calls the open `/v1` API with fetch and shows the results, so
what it proves is exactly what a client of the gateway gets.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from irisgate.server.ui import page, render
from irisgate.server.ui_providers import MODEL_SUGGESTIONS

IMAGE_MODEL = "runware/runware:100@1"
VIDEO_MODEL = "runway/gen4.5"
IMAGE_SIZES = ("256x256", "512x512", "1024x1024", "1024x1536", "1536x1024")
VIDEO_SIZES = ("1280x720", "720x1280", "1920x1080")
VIDEO_MODELS = {"klingai:5@3", "google:3@3", "bytedance:1@1"}  # among the Runware suggestions


async def model_suggestions(request: Request) -> tuple[list[str], list[str]]:
    """`provider/model` suggestions (images, videos) for the configured providers: each key's
    allowlist, else the known models."""
    images: list[str] = []
    videos: list[str] = []
    for provider in await request.app.state.gateway.admin.list_providers():
        name = provider["name"]
        listed = [m for key in provider["keys"] for m in key["models"] if m != "*"]
        for model in dict.fromkeys(listed or MODEL_SUGGESTIONS.get(name, [])):
            is_video = name == "runway" or model in VIDEO_MODELS
            (videos if is_video else images).append(f"{name}/{model}")
    return images, videos


@page
async def playground_page(request: Request) -> Response:
    images, videos = await model_suggestions(request)
    context = {
        "section": "playground",
        "image_models": images,
        "video_models": videos,
        "image_model": IMAGE_MODEL,
        "video_model": VIDEO_MODEL,
        "image_sizes": IMAGE_SIZES,
        "video_sizes": VIDEO_SIZES,
    }
    return render(request, "playground.html", context)


routes = [Route("/playground", playground_page, methods=["GET"])]
