"""The OpenAPI 3.1 document of the public API, served at `GET /openapi.json`.

Request bodies come from the pydantic request models (so the document follows the validation),
adjusted where the wire differs: uploads are binary parts, multipart scalars are text, nested
multipart fields use brackets. Response bodies are written by hand, and every operation lists the
statuses it can answer. The schemathesis run in the test suite holds the gateway to this document.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from irisgate import __version__
from irisgate.schemas.images import ImageEditRequest, ImageGenerationRequest
from irisgate.schemas.videos import VideoCreateRequest
from irisgate.server.responses import json_response

JSON = "application/json"
MULTIPART = "multipart/form-data"
BINARY = {"type": "string", "format": "binary"}
TEXT = {"type": "string"}
NULLABLE_TEXT = {"type": ["string", "null"]}
MODEL_EXAMPLES = {
    "images": ["runware/runware:100@1"],
    "videos": ["runway/gen4.5", "runway/veo3.1", "runware/klingai:5@3"],
}

GENERATION_EXAMPLE = {"model": "runware/runware:100@1", "prompt": "a lighthouse at dusk", "size": "512x512"}
VIDEO_EXAMPLE = {"model": "runway/gen4.5", "prompt": "waves rolling in at dusk", "seconds": "4"}

STATUS_TEXT = {
    400: "Invalid request: the error's `param` names the field",
    401: "Virtual keys are configured and the request has no valid one (Authorization: Bearer sk-iris-…)",
    402: "The provider account is out of credits",
    403: "The model is not allowed (for the virtual key, or for any provider key), the provider refused, "
    "or the request came from a web page of another origin (server.allowed_origins)",
    404: "No such video or webhook endpoint (ids irisgate did not make are 404; another virtual key's "
    "are too), the provider no longer knows it, or it has no thumbnail",
    409: "The video's provider or key is no longer configured, or the video (or its thumbnail) is not ready",
    410: "The video's kept media expired and was removed (media.retention_days)",
    413: "The request body (limits.max_body_mb) or an uploaded file is too large",
    415: "The body is not of a type this operation takes (JSON as application/json, or multipart/form-data)",
    416: "The requested range is outside the video",
    421: "The Host header names none of the gateway's names (server.allowed_hosts)",
    422: "The provider could not process the request",
    429: "Rate limited (the virtual key's requests per minute, or upstream); see `retry-after`",
    431: "Too many request headers, or headers too large",
    500: "Internal error in the gateway",
    502: "The provider failed, answered something unusable, or refused every key; or a webhook "
    "receiver could not be reached",
    503: "The provider, irisgate's store or its media store is unavailable; or too many large bodies "
    "are being read",
    504: "The provider did not answer in time",
}
# any request: bad input, the body's type, the size guards, the Host and Origin guard, the unexpected
ALWAYS = (400, 403, 413, 415, 421, 431, 500, 503)
UPSTREAM = (402, 403, 404, 409, 422, 429, 502, 503, 504)  # what a provider's answer can become
JOB = (403, 404, 409, 429, 502, 503, 504)  # an existing job: its id, its key, its provider
CLIENT = (401, 429)  # every /v1 call once virtual keys exist: no valid key, or over its rate

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["message", "type", "code", "param"],
            "properties": {"message": TEXT, "type": TEXT, "code": NULLABLE_TEXT, "param": NULLABLE_TEXT},
        }
    },
}
USAGE = {"type": "object", "properties": {"cost": {"type": "number"}}}
IMAGES_RESPONSE = {
    "type": "object",
    "required": ["created", "data"],
    "properties": {
        "created": {"type": "integer"},
        "data": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "url": TEXT,
                    "b64_json": TEXT,
                    "revised_prompt": TEXT,
                    "seed": {"type": "integer"},
                    "id": TEXT,
                },
            },
        },
        "output_format": TEXT,
        "size": TEXT,
        "usage": USAGE,
    },
}
NULLABLE_TIME = {"type": ["integer", "null"]}
VIDEO = {
    "type": "object",
    "required": ["id", "object", "status", "progress", "created_at", "model", "seconds", "size"],
    "properties": {
        "id": {"type": "string", "pattern": "^video_"},
        "object": {"const": "video"},
        "status": {"enum": ["queued", "in_progress", "completed", "failed"]},
        "progress": {"type": "integer", "minimum": 0, "maximum": 100},
        "created_at": {"type": "integer"},
        "completed_at": NULLABLE_TIME,
        "expires_at": NULLABLE_TIME,
        "model": TEXT,
        "prompt": NULLABLE_TEXT,
        "seconds": TEXT,
        "size": TEXT,
        "remixed_from_video_id": NULLABLE_TEXT,
        "error": {
            "oneOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {"code": TEXT, "message": TEXT},
                },
            ]
        },
        "usage": USAGE,
    },
}
VIDEO_LIST = {
    "type": "object",
    "required": ["object", "data", "first_id", "last_id", "has_more"],
    "properties": {
        "object": {"const": "list"},
        "data": {"type": "array", "items": {"$ref": "#/components/schemas/Video"}},
        "first_id": NULLABLE_TEXT,
        "last_id": NULLABLE_TEXT,
        "has_more": {"type": "boolean"},
    },
}
VIDEO_DELETED = {
    "type": "object",
    "required": ["id", "object", "deleted"],
    "properties": {"id": TEXT, "object": {"const": "video.deleted"}, "deleted": {"type": "boolean"}},
}
HEALTH = {
    "type": "object",
    "required": ["status", "version", "providers"],
    "properties": {"status": {"const": "ok"}, "version": TEXT, "providers": {"type": "array", "items": TEXT}},
}
INPUT_REFERENCE_TEXT = {
    "description": "An image URL, a data URI (data:image/png;base64,…), a provider asset id, or {image_url}",
    "anyOf": [
        {"type": "string", "minLength": 1},
        {"type": "object", "properties": {"image_url": {"type": "string", "minLength": 1}}},
        {"type": "null"},
    ],
}


def model_schema(model: type[BaseModel], examples: list[str], drop: tuple[str, ...] = ()) -> dict[str, Any]:
    """The JSON Schema of a request model, less the fields the server fills itself."""
    schema = model.model_json_schema()
    schema.pop("$defs", None)
    schema.pop("title", None)
    for name in drop:
        schema["properties"].pop(name)
    for field in schema["properties"].values():
        field.pop("title", None)
    schema["properties"]["model"]["examples"] = examples
    schema["properties"]["prompt"]["pattern"] = r"\S"  # not blank
    return schema


def as_form(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON request schema as multipart fields: objects are JSON text, lists repeat `name[]`."""
    form = {**schema, "properties": {name: not_null(field) for name, field in schema["properties"].items()}}
    properties = form["properties"]
    properties.pop("svg", None)
    properties["extra_params"] = {"type": "string", "description": "a JSON object of provider-native fields"}
    if properties.pop("fallbacks", None) is not None:
        properties["fallbacks[]"] = {"type": "array", "items": TEXT, "maxItems": 10}
    return form


def not_null(field: dict[str, Any]) -> dict[str, Any]:
    """A field as a form part: a part is absent or text, never null."""
    choices = [choice for choice in field.get("anyOf", ()) if choice != {"type": "null"}]
    if len(choices) != 1:
        return field
    return {**{k: v for k, v in field.items() if k not in ("anyOf", "default")}, **choices[0]}


def json_body(schema: dict[str, Any], required: bool = True, example: Any = None) -> dict[str, Any]:
    media: dict[str, Any] = {"schema": schema}
    if example is not None:
        media["examples"] = {"typical": {"value": example}}
    return {"required": required, "content": {JSON: media}}


def error_answer(status: int) -> dict[str, Any]:
    return {
        "description": STATUS_TEXT[status],
        "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def responses(ok: dict[str, Any], *statuses: int) -> dict[str, Any]:
    """The 200 answer, then the errors: these statuses and those any request can get."""
    answers: dict[str, Any] = {"200": ok}
    answers.update((str(status), error_answer(status)) for status in sorted(set(statuses) | set(ALWAYS)))
    return answers


def ok(schema_name: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {JSON: {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}},
    }


LIMIT = {"type": "integer", "minimum": 1, "maximum": 100}
VIDEO_ID = {"name": "video_id", "in": "path", "required": True, "schema": TEXT}


VARIANT = {
    "name": "variant", "in": "query", "schema": {"enum": ["video", "thumbnail"]},
    "description": "`video` (the default) or `thumbnail` (a WEBP of its first frame, at the video's size); "
                   "OpenAI's `spritesheet` answers 400",
}  # fmt: skip
MEDIA = {"video/mp4": {"schema": BINARY}, "image/webp": {"schema": BINARY}}


def content_answers() -> dict[str, Any]:
    return {
        **responses({"description": "The video, or its thumbnail", "content": MEDIA}, 410, 416, *JOB),
        "206": {"description": "Part of it", "content": MEDIA},
    }


def operation(op_id: str, summary: str, answers: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"operationId": op_id, "summary": summary, "responses": answers, **extra}


@cache
def openapi_document() -> dict[str, Any]:
    generation = model_schema(ImageGenerationRequest, MODEL_EXAMPLES["images"])
    edit = as_form(model_schema(ImageEditRequest, MODEL_EXAMPLES["images"], drop=("images", "mask")))
    edit["properties"].update(
        {"image": BINARY, "image[]": {"type": "array", "items": BINARY, "maxItems": 16}, "mask": BINARY}
    )
    video = model_schema(VideoCreateRequest, MODEL_EXAMPLES["videos"], drop=("input_reference",))
    video_json = {**video, "properties": {**video["properties"], "input_reference": INPUT_REFERENCE_TEXT}}
    video_form = as_form(video)
    video_form["properties"].update({"input_reference": BINARY, "input_reference[image_url]": TEXT})
    variation = {"type": "object", "required": ["model"], "properties": {"model": TEXT, "image": BINARY}}
    video_ok = ok("Video", "The video job")
    paths = {
        "/health": {"get": operation("health", "Liveness and the configured providers", {
            "200": ok("Health", "The gateway is up"), "413": error_answer(413), "431": error_answer(431)})},
        "/v1/images/generations": {"post": operation(
            "createImage", "Generate images", responses(ok("ImagesResponse", "The images"), *UPSTREAM),
            requestBody=json_body(generation, example=GENERATION_EXAMPLE))},
        "/v1/images/edits": {"post": operation(
            "createImageEdit", "Edit images (multipart: image or image[], optional mask)",
            responses(ok("ImagesResponse", "The images"), 415, *UPSTREAM),
            requestBody={"required": True, "content": {MULTIPART: {"schema": edit}}})},
        "/v1/images/variations": {"post": operation(
            "createImageVariation", "Image variations (no configured provider offers them: 400)",
            responses(ok("ImagesResponse", "The images"), 403, 415),
            requestBody={"required": True, "content": {MULTIPART: {"schema": variation}}})},
        "/v1/videos": {
            "post": operation(
                "createVideo", "Start a video job (JSON, or multipart as the OpenAI SDK sends it)",
                responses(video_ok, *UPSTREAM),
                requestBody={"required": True, "content": {
                    JSON: json_body(video_json, example=VIDEO_EXAMPLE)["content"][JSON],
                    MULTIPART: {"schema": video_form, "examples": {"typical": {"value": VIDEO_EXAMPLE}}}}}),
            "get": operation(
                "listVideos", "List video jobs, newest first by default",
                responses(ok("VideoList", "A page of video jobs"), 404),
                parameters=[
                    {"name": "after", "in": "query", "schema": TEXT,
                     "description": "The id of the last video of the previous page"},
                    {"name": "limit", "in": "query", "schema": LIMIT},
                    {"name": "order", "in": "query", "schema": {"enum": ["asc", "desc"]}},
                ]),
        },
        "/v1/videos/{video_id}": {
            "parameters": [VIDEO_ID],
            "get": operation("retrieveVideo", "A video job's current state", responses(video_ok, *JOB)),
            "delete": operation(
                "deleteVideo", "Cancel or delete a video job upstream, then forget it",
                responses(ok("VideoDeleted", "The job is gone"), *JOB)),
        },
        "/v1/videos/{video_id}/content": {
            "parameters": [VIDEO_ID],
            "get": operation(
                "downloadVideoContent",
                "The finished video's bytes, or its thumbnail: the kept copy, else the provider's link "
                "(Range requests give 206)",
                content_answers(), parameters=[VARIANT]),
            "head": operation(
                "headVideoContent", "The headers a GET of the video (or its thumbnail) would answer",
                content_answers(), parameters=[VARIANT]),
        },
        "/v1/videos/{video_id}/remix": {
            "parameters": [VIDEO_ID],
            "post": operation(
                "remixVideo", "Remix a video (no configured provider offers it: 400)",
                responses(video_ok, 404),
                requestBody=json_body({"type": "object", "properties": {"prompt": TEXT}}, required=False)),
        },
    }  # fmt: skip
    from irisgate.server import openapi_webhooks  # (it builds on this module's helpers)

    paths.update(openapi_webhooks.paths())
    for path, item in paths.items():
        for name, op in item.items():
            if path.startswith("/v1/") and name != "parameters":
                op["responses"].update((str(status), error_answer(status)) for status in CLIENT)
                op["security"] = [{}, {"virtualKey": []}]  # open until a virtual key exists
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "irisgate",
            "version": __version__,
            "description": "An OpenAI-compatible gateway for image and video generation. Models are "
            "'provider/model' strings (runware/…, runway/…); fields a request model does not declare "
            "flow to the provider as native fields.",
        },
        "paths": paths,
        "components": {
            "securitySchemes": {"virtualKey": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": ERROR,
                "ImagesResponse": IMAGES_RESPONSE,
                "Video": VIDEO,
                "VideoList": VIDEO_LIST,
                "VideoDeleted": VIDEO_DELETED,
                "Health": HEALTH,
                **openapi_webhooks.SCHEMAS,
            },
        },
    }


async def serve_openapi(request: Request) -> Response:
    return json_response(openapi_document())


routes = [Route("/openapi.json", serve_openapi, methods=["GET"])]
