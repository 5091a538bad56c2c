"""`POST /v1/images/edits` (multipart, as the OpenAI SDK sends it) → Runware seedImage / maskImage."""

from __future__ import annotations

import base64

from fixtures_gateway import RUNWARE_MODEL
from media_helpers import decode_b64_image, image_bytes


def the_task(sim) -> dict:
    posts = [r for r in sim.requests if r.method == "POST"]
    assert len(posts) == 1
    return posts[0].body[0]


def data_uri_bytes(uri: str, media_type: str) -> bytes:
    prefix = f"data:{media_type};base64,"
    assert uri.startswith(prefix)
    return base64.b64decode(uri[len(prefix) :])


def test_edit_one_image_becomes_seed_image(gateway, runware_sim):
    source = image_bytes(96, 64, "PNG")
    result = gateway.openai().images.edit(
        model=RUNWARE_MODEL,
        image=("photo.png", source, "image/png"),
        prompt="Replace the sky with a starry night",
        size="512x512",
        n=1,
        response_format="b64_json",
        output_format="png",
        extra_body={"negative_prompt": "daylight", "num_inference_steps": 25, "seed": 7},
    )
    task = the_task(runware_sim.sim)
    assert data_uri_bytes(task.pop("seedImage"), "image/png") == source
    task.pop("taskUUID")
    assert task == {
        "taskType": "imageInference",
        "model": "runware:100@1",
        "positivePrompt": "Replace the sky with a starry night",
        "negativePrompt": "daylight",
        "width": 512,
        "height": 512,
        "steps": 25,
        "seed": 7,
        "numberResults": 1,
        "outputType": "base64Data",
        "outputFormat": "PNG",
        "includeCost": True,
    }
    image = decode_b64_image(result.data[0].b64_json)
    assert (image.format, image.size) == ("PNG", (512, 512))


def test_edit_list_of_images_uses_the_first(gateway, runware_sim):
    first = image_bytes(64, 64, "JPEG")
    second = image_bytes(64, 64, "PNG", color=(0, 0, 255))
    gateway.openai().images.edit(
        model=RUNWARE_MODEL,
        image=[("a.jpg", first, "image/jpeg"), ("b.png", second, "image/png")],
        prompt="blend",
        size="256x256",
    )
    task = the_task(runware_sim.sim)
    assert data_uri_bytes(task["seedImage"], "image/jpeg") == first
    assert "maskImage" not in task


def test_edit_with_mask_is_inpainting(gateway, runware_sim):
    source = image_bytes(128, 128, "PNG")
    mask = image_bytes(128, 128, "PNG", color=(255, 255, 255))
    gateway.openai().images.edit(
        model=RUNWARE_MODEL,
        image=("image.png", source, "image/png"),
        mask=("mask.png", mask, "image/png"),
        prompt="a hot air balloon in the masked area",
        size="256x256",
    )
    task = the_task(runware_sim.sim)
    assert data_uri_bytes(task["seedImage"], "image/png") == source
    assert data_uri_bytes(task["maskImage"], "image/png") == mask


def test_edit_outpaint_and_native_fields_are_decoded(gateway, runware_sim):
    gateway.openai().images.edit(
        model=RUNWARE_MODEL,
        image=("image.webp", image_bytes(128, 128, "WEBP"), "image/webp"),
        prompt="extend the scene",
        size="512x512",
        extra_body={
            "outpaint": {"top": 128, "right": 64, "bottom": 0, "left": 64, "blur": 8},
            "CFGScale": 6.5,
            "scheduler": "Euler a",
            "extra_params": {"strength": 0.9, "maskMargin": 16},
        },
    )
    task = the_task(runware_sim.sim)
    assert task["seedImage"].startswith("data:image/webp;base64,")
    assert task["outpaint"] == {"top": 128, "right": 64, "bottom": 0, "left": 64, "blur": 8}
    assert task["CFGScale"] == 6.5
    assert task["scheduler"] == "Euler a"
    assert task["strength"] == 0.9
    assert task["maskMargin"] == 16
