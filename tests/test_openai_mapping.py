"""The OpenAI provider's pure parts, without HTTP: every mapping row, the per-model checks, answers
(usage kept, cost estimated) and errors."""

from __future__ import annotations

from typing import Any

import pytest

from irisgate.providers.http import FilePart, UpstreamResponse
from irisgate.providers.openai.answers import parse_images
from irisgate.providers.openai.errors import json_object, openai_error
from irisgate.providers.openai.mapping import build_edit_call, build_generation_body
from irisgate.schemas.errors import GatewayError
from irisgate.schemas.images import ImageEditRequest, ImageGenerationRequest, UploadedImage

from media_helpers import image_bytes


def generation(**fields: Any) -> ImageGenerationRequest:
    return ImageGenerationRequest.model_validate({"model": "openai/x", "prompt": "a lighthouse", **fields})


def edit(images: list[UploadedImage], mask: UploadedImage | None = None, **fields: Any) -> ImageEditRequest:
    request = ImageEditRequest.model_validate({"model": "openai/x", "prompt": "add a moon", **fields})
    request.images = images
    request.mask = mask
    return request


def upload(
    width: int = 64, height: int = 64, fmt: str = "PNG", filename: str | None = "in.png"
) -> UploadedImage:
    media = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}[fmt]
    return UploadedImage(image_bytes(width, height, fmt), media, filename)


def refused(call: Any, *args: Any, **kwargs: Any) -> GatewayError:
    with pytest.raises(GatewayError) as raised:
        call(*args, **kwargs)
    assert raised.value.status == 400
    return raised.value


# --- generations: one row of the mapping table each --------------------------------------------------


def test_every_forwarded_field_keeps_its_name_and_value():
    request = generation(
        n=3,
        quality="high",
        background="transparent",
        moderation="low",
        output_compression=80,
        partial_images=2,
        user="u-1",
        safety_identifier="hash-1",
        size="1536x1024",
        output_format="webp",
    )
    assert build_generation_body(request, "gpt-image-1") == {
        "model": "gpt-image-1",
        "prompt": "a lighthouse",
        "n": 3,
        "quality": "high",
        "background": "transparent",
        "moderation": "low",
        "output_compression": 80,
        "partial_images": 2,
        "user": "u-1",
        "safety_identifier": "hash-1",
        "size": "1536x1024",
        "output_format": "webp",
    }


def test_dall_e_3_style_quality_and_response_format_are_forwarded():
    request = generation(style="natural", quality="hd", response_format="url", size="1024x1792")
    assert build_generation_body(request, "dall-e-3") == {
        "model": "dall-e-3",
        "prompt": "a lighthouse",
        "style": "natural",
        "quality": "hd",
        "response_format": "url",
        "size": "1024x1792",
    }


def test_the_newer_sdk_fields_pass_through():
    request = generation(complexity="high", svg={"model": "svg-1", "reasoning": {"effort": "low"}})
    body = build_generation_body(request, "gpt-image-2")
    assert body["complexity"] == "high" and body["svg"] == {"model": "svg-1", "reasoning": {"effort": "low"}}


@pytest.mark.parametrize(
    ("given", "sent"), [(" 1024X1024 ", "1024x1024"), ("auto", "auto"), ("AUTO", "auto")]
)
def test_size_is_written_width_x_height_or_auto(given, sent):
    assert build_generation_body(generation(size=given), "gpt-image-1")["size"] == sent


def test_absent_fields_are_not_sent():
    assert build_generation_body(generation(), "gpt-image-1") == {
        "model": "gpt-image-1",
        "prompt": "a lighthouse",
    }


@pytest.mark.parametrize(
    ("given", "sent"), [("jpg", "jpeg"), ("jpeg", "jpeg"), ("png", "png"), ("webp", "webp")]
)
def test_output_format(given, sent):
    assert build_generation_body(generation(output_format=given), "gpt-image-1")["output_format"] == sent


def test_gpt_image_models_take_no_response_format_b64_is_left_out_url_refused():
    assert "response_format" not in build_generation_body(
        generation(response_format="b64_json"), "gpt-image-1"
    )
    error = refused(build_generation_body, generation(response_format="url"), "gpt-image-1.5")
    assert error.param == "response_format" and "b64_json" in error.message
    # a GPT image model irisgate has no table for is known by its name
    assert "response_format" not in build_generation_body(
        generation(response_format="b64_json"), "gpt-image-9"
    )


def test_extras_flow_through_and_extra_params_win():
    request = generation(quality="low", foo={"a": 1}, extra_params={"quality": "high", "bar": True})
    body = build_generation_body(request, "gpt-image-1")
    assert body["quality"] == "high" and body["foo"] == {"a": 1} and body["bar"] is True


@pytest.mark.parametrize("name", ["model", "stream", "image", "mask"])
def test_gateway_fields_cannot_be_overridden(name):
    error = refused(build_generation_body, generation(extra_params={name: "x"}), "gpt-image-1")
    assert error.param == name


@pytest.mark.parametrize(
    ("name", "value"), [("negative_prompt", "blur"), ("num_inference_steps", 20), ("seed", 4)]
)
def test_irisgate_fields_openai_lacks_are_refused(name, value):
    error = refused(build_generation_body, generation(**{name: value}), "gpt-image-1")
    assert (error.param, error.code) == (name, "unsupported_parameter")


def test_streaming_is_refused_cleanly():
    error = refused(build_generation_body, generation(stream=True), "gpt-image-1")
    assert error.code == "unsupported_operation"
    error = refused(build_edit_call, edit([upload()], stream=True), "gpt-image-1")
    assert error.code == "unsupported_operation"


# --- per-model checks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "fields", "param", "listed"),
    [
        ("gpt-image-1", {"size": "512x512"}, "size", "1024x1024, 1536x1024, 1024x1536, auto"),
        ("gpt-image-1-mini", {"size": "1792x1024"}, "size", "1024x1024, 1536x1024, 1024x1536, auto"),
        ("dall-e-3", {"size": "1536x1024"}, "size", "1024x1024, 1792x1024, 1024x1792"),
        ("dall-e-2", {"size": "1024x1536"}, "size", "256x256, 512x512, 1024x1024"),
        ("dall-e-2", {"size": "auto"}, "size", "256x256, 512x512, 1024x1024"),
        ("gpt-image-1", {"n": 11}, "n", "n from 1 to 10"),
        ("dall-e-3", {"n": 2}, "n", "only n=1"),
        ("gpt-image-1", {"quality": "hd"}, "quality", "low, medium, high, auto"),
        ("gpt-image-2", {"quality": "max"}, "quality", "low, medium, high, auto"),
        ("dall-e-3", {"quality": "high"}, "quality", "standard, hd, auto"),
        ("dall-e-2", {"quality": "hd"}, "quality", "standard, auto"),
        ("dall-e-3", {"style": "anime"}, "style", "vivid, natural"),
    ],
)
def test_values_outside_the_models_table_get_a_400_listing_the_allowed(model, fields, param, listed):
    error = refused(build_generation_body, generation(**fields), model)
    assert error.param == param and error.code == "invalid_value"
    assert listed in error.message and model in error.message


@pytest.mark.parametrize("size", ["1536x864", "3840x2160", "2160x3840", "1024x3072", "auto", "1024x1536"])
def test_gpt_image_2_takes_flexible_sizes(size):
    assert build_generation_body(generation(size=size), "gpt-image-2")["size"] == size


@pytest.mark.parametrize(
    ("size", "why"),
    [
        ("1000x1000", "multiples of 16"),
        ("1024x3088", "between 1:3 and 3:1"),
        ("4096x2304", "3840x2160"),
        ("3840x2176", "3840x2160"),
    ],
)
def test_gpt_image_2_refuses_sizes_outside_its_rule(size, why):
    error = refused(build_generation_body, generation(size=size), "gpt-image-2")
    assert error.param == "size" and why in error.message


def test_xhigh_quality_is_for_gpt_image_2_5():
    assert build_generation_body(generation(quality="xhigh"), "gpt-image-2.5-flare")["quality"] == "xhigh"


@pytest.mark.parametrize(("model", "option"), [("gpt-image-1", "style"), ("gpt-image-2", "style")])
def test_gpt_image_models_take_no_style(model, option):
    error = refused(build_generation_body, generation(style="vivid"), model)
    assert (error.param, error.code) == (option, "unsupported_parameter")


@pytest.mark.parametrize(
    "fields",
    [
        {"background": "transparent"},
        {"moderation": "low"},
        {"output_format": "png"},
        {"output_compression": 50},
        {"partial_images": 1},
    ],
)
def test_dall_e_refuses_the_gpt_only_options(fields):
    (name,) = fields
    error = refused(build_generation_body, generation(**fields), "dall-e-3")
    assert (error.param, error.code) == (name, "unsupported_parameter")


def test_prompt_length_per_model():
    error = refused(build_generation_body, generation(prompt="x" * 1001), "dall-e-2")
    assert error.param == "prompt" and "1000" in error.message
    assert build_generation_body(generation(prompt="x" * 4000), "dall-e-3")["prompt"] == "x" * 4000


def test_endpoint_only_parameters():
    assert (
        refused(build_generation_body, generation(input_fidelity="high"), "gpt-image-1").param
        == "input_fidelity"
    )
    assert refused(build_edit_call, edit([upload()], moderation="low"), "gpt-image-1").param == "moderation"
    assert refused(build_edit_call, edit([upload()], style="vivid"), "gpt-image-1").param == "style"


def test_input_fidelity_per_model():
    assert (
        build_edit_call(edit([upload()], input_fidelity="high"), "gpt-image-1").body["input_fidelity"]
        == "high"
    )
    assert refused(build_edit_call, edit([upload()], input_fidelity="high"), "gpt-image-1-mini").param == (
        "input_fidelity"
    )
    assert (
        refused(build_edit_call, edit([upload()], input_fidelity="low"), "gpt-image-2").param
        == "input_fidelity"
    )


def test_models_irisgate_does_not_know_pass_unchecked():
    request = generation(size="640x480", n=15, quality="ultra", style="x", background="y")
    body = build_generation_body(request, "gpt-image-7")
    assert (body["size"], body["n"], body["quality"]) == ("640x480", 15, "ultra")


# --- edits -------------------------------------------------------------------------------------------


def test_one_image_is_sent_as_image_with_the_fields_as_text_parts():
    source = upload(64, 64, "PNG", "photo.png")
    call = build_edit_call(
        edit([source], n=2, size="1024x1024", quality="low", output_compression=70), "gpt-image-1"
    )
    assert call.fields == [
        ("model", "gpt-image-1"),
        ("prompt", "add a moon"),
        ("n", "2"),
        ("quality", "low"),
        ("output_compression", "70"),
        ("size", "1024x1024"),
    ]
    assert call.files == [FilePart("image", source.data, "photo.png", "image/png")]


def test_several_images_are_image_brackets_repeated_and_the_mask_follows():
    first, second = upload(fmt="JPEG", filename=None), upload(fmt="WEBP", filename="b.webp")
    mask = upload(filename="mask.png")
    call = build_edit_call(edit([first, second], mask), "gpt-image-1")
    assert [(f.name, f.filename, f.content_type) for f in call.files] == [
        ("image[]", "image_1.jpg", "image/jpeg"),
        ("image[]", "b.webp", "image/webp"),
        ("mask", "mask.png", "image/png"),
    ]
    assert [f.data for f in call.files] == [first.data, second.data, mask.data]


def test_nested_and_typed_extras_are_written_as_the_sdk_writes_them():
    svg = {"model": "s1", "reasoning": {"effort": "low"}}
    request = edit([upload()], svg=svg, extra_params={"tags": ["a", "b"], "draft": True})
    fields = build_edit_call(request, "gpt-image-2").fields
    assert ("svg[model]", "s1") in fields and ("svg[reasoning][effort]", "low") in fields
    assert [v for k, v in fields if k == "tags[]"] == ["a", "b"] and ("draft", "true") in fields


def test_edit_checks():
    assert refused(build_edit_call, edit([upload()]), "dall-e-3").code == "unsupported_operation"
    assert refused(build_edit_call, edit([upload(), upload()]), "dall-e-2").param == "image"
    assert refused(build_edit_call, edit([upload(64, 32)]), "dall-e-2").param == "image"
    assert refused(build_edit_call, edit([upload(fmt="JPEG")]), "dall-e-2").param == "image"
    assert build_edit_call(edit([upload(64, 64)], size="256x256"), "dall-e-2").files[0].name == "image"
    assert refused(build_edit_call, edit([upload()] * 17), "gpt-image-1").param == "image"
    assert refused(build_edit_call, edit([upload()], upload(fmt="JPEG")), "gpt-image-1").param == "mask"
    assert refused(build_edit_call, edit([]), "gpt-image-1").code == "missing_required_parameter"
    assert refused(build_edit_call, edit([upload()], size="512x512"), "gpt-image-1").param == "size"


# --- answers -----------------------------------------------------------------------------------------

GPT_USAGE = {
    "input_tokens": 50,
    "input_tokens_details": {"image_tokens": 40, "text_tokens": 10},
    "output_tokens": 4160,
    "total_tokens": 4210,
}


def test_a_gpt_image_answer_keeps_images_usage_and_its_fields_and_costs_by_tokens():
    answer = {
        "created": 1,
        "data": [{"b64_json": "AAA"}, {"b64_json": "BBB"}],
        "background": "opaque",
        "output_format": "webp",
        "quality": "high",
        "size": "1024x1024",
        "usage": GPT_USAGE,
    }
    result = parse_images(answer, {"model": "gpt-image-1", "quality": "high"}, "gpt-image-1")
    assert [i.b64_json for i in result.images] == ["AAA", "BBB"]
    # $5/1M text in, $10/1M image in, $40/1M image out
    assert result.cost_usd == pytest.approx((10 * 5 + 40 * 10 + 4160 * 40) / 1e6)
    response = result.to_response(7)
    assert response == {
        "created": 7,
        "data": [{"b64_json": "AAA"}, {"b64_json": "BBB"}],
        "output_format": "webp",
        "size": "1024x1024",
        "background": "opaque",
        "quality": "high",
        "usage": {**GPT_USAGE, "cost": result.cost_usd},
    }


def test_gpt_image_1_mini_prices_and_input_without_details():
    usage = {"input_tokens": 100, "output_tokens": 272, "total_tokens": 372}
    result = parse_images({"data": [{"b64_json": "A"}], "usage": usage}, {}, "gpt-image-1-mini")
    assert result.cost_usd == pytest.approx((100 * 2 + 272 * 8) / 1e6)


def test_a_dall_e_answer_keeps_urls_and_revised_prompts_and_costs_per_image():
    answer = {"created": 1, "data": [{"url": "https://x/img.png", "revised_prompt": "A lighthouse, at dusk"}]}
    result = parse_images(answer, {"size": "1792x1024", "quality": "hd"}, "dall-e-3")
    assert result.cost_usd == 0.12 and result.size == "1792x1024"
    assert result.to_response(1)["usage"] == {"cost": 0.12}  # no tokens: DALL·E reports none
    assert result.to_response(1)["data"] == [
        {"url": "https://x/img.png", "revised_prompt": "A lighthouse, at dusk"}
    ]
    two = parse_images({"data": [{"url": "u1"}, {"url": "u2"}]}, {"size": "256x256"}, "dall-e-2")
    assert two.cost_usd == pytest.approx(0.032)
    assert parse_images({"data": [{"url": "u"}]}, {"quality": "auto"}, "dall-e-3").cost_usd == 0.04


def test_models_without_a_published_price_get_no_cost_but_keep_usage():
    result = parse_images(
        {"data": [{"b64_json": "A"}], "usage": GPT_USAGE}, {"size": "auto"}, "gpt-image-1.5"
    )
    assert result.cost_usd is None and result.to_response(1)["usage"] == GPT_USAGE and result.size is None


def test_an_answer_without_images_is_an_upstream_error():
    with pytest.raises(GatewayError) as raised:
        parse_images({"created": 1, "data": [{"revised_prompt": "x"}]}, {}, "gpt-image-1")
    assert (raised.value.status, raised.value.code) == (502, "upstream_invalid_response")


# --- errors ------------------------------------------------------------------------------------------


def error_body(
    message: str, param: str | None = None, code: str | None = None, kind: str = "invalid_request_error"
):
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def test_a_client_error_comes_back_as_openai_gave_it():
    error = openai_error(400, error_body("Invalid value: 'x'.", "quality", "invalid_value"), "main")
    assert (error.status, error.message, error.param, error.code) == (
        400,
        "Invalid value: 'x'.",
        "quality",
        "invalid_value",
    )
    assert error.body()["error"]["type"] == "invalid_request_error"
    assert error.headers == {"x-should-retry": "false"} and not error.transient
    moderated = openai_error(
        400, error_body("rejected", None, "moderation_blocked", "image_generation_user_error"), "k"
    )
    assert (moderated.code, moderated.error_type) == ("moderation_blocked", "image_generation_user_error")
    assert openai_error(400, error_body("bad", "image[]", "invalid_image_format"), "k").param == "image"


def test_a_refused_key_is_a_502_that_names_the_key_and_moves_on():
    error = openai_error(
        401, error_body("Incorrect API key provided: sk-***", None, "invalid_api_key"), "main"
    )
    assert (error.status, error.code) == (502, "upstream_authentication_failed")
    assert error.key_rejected and error.nothing_created and "'main'" in error.message


def test_rate_limits_keep_retry_after_and_quota_is_not_transient():
    limited = openai_error(
        429,
        error_body("Rate limit reached", None, "rate_limit_exceeded", "requests"),
        "k",
        {"retry-after": "7"},
    )
    assert (limited.status, limited.headers["retry-after"], limited.retry_after) == (429, "7", 7.0)
    assert limited.transient and limited.nothing_created and limited.code == "rate_limit_exceeded"
    quota = openai_error(429, error_body("You exceeded your current quota", None, "insufficient_quota"), "k")
    assert quota.status == 429 and quota.nothing_created and not quota.transient


@pytest.mark.parametrize(("status", "mapped"), [(500, 502), (502, 502), (503, 503)])
def test_server_errors_are_transient_and_ambiguous(status, mapped):
    error = openai_error(status, error_body("The server had an error", None, None, "server_error"), "k")
    assert (error.status, error.code, error.transient, error.nothing_created) == (
        mapped,
        "upstream_error",
        True,
        False,
    )


def test_answers_that_are_not_json_objects():
    with pytest.raises(GatewayError) as raised:
        json_object(UpstreamResponse(200, {}, b"<html>502</html>"), "k")
    assert raised.value.code == "upstream_invalid_response"
    with pytest.raises(GatewayError) as raised:
        json_object(UpstreamResponse(500, {}, b"<html>oops</html>"), "k")
    assert (raised.value.status, raised.value.transient) == (502, True)
