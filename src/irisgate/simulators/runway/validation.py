"""Body validation of the four create endpoints, as Zod on the real server does it: the body is a
union discriminated on `model`; once the model is known every field is checked and all issues are
reported together (`ValidationFailed`). Asset contents (URLs, data URIs) are checked later (assets.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..common.values import is_int, is_number
from .issues import (
    Issue,
    Path,
    custom,
    invalid_format,
    invalid_type,
    invalid_union,
    invalid_value,
    no_matching_discriminator,
    too_big,
    too_small,
    unrecognized_keys,
)
from .models import (
    PRORES_PROFILES,
    PUBLIC_FIGURE_THRESHOLDS,
    TARGET_ASPECT_RATIOS,
    VIDEO_OUTPUT_FORMATS,
    Variant,
    find_variant,
)

PROMPT_MAX_UTF16 = 1000
SEED_MAX = 4294967295
REFERENCE_IMAGES_MAX = 3
TAG_PATTERN = r"^[a-zA-Z][a-zA-Z0-9_]{2,15}$"


class ValidationFailed(Exception):
    def __init__(self, issues: list[Issue]) -> None:
        super().__init__(f"{len(issues)} validation issue(s)")
        self.issues = issues


def _string(path: Path, value: Any, minimum: int | None = None, maximum: int | None = None) -> list[Issue]:
    if not isinstance(value, str):
        return [invalid_type(path, "string", value)]
    length = len(value.encode("utf-16-le")) // 2  # JavaScript string length: UTF-16 code units
    if minimum is not None and length < minimum:
        return [too_small(path, "string", minimum)]
    if maximum is not None and length > maximum:
        return [too_big(path, "string", maximum)]
    return []


def _integer(path: Path, value: Any, minimum: int | None, maximum: int | None) -> list[Issue]:
    if not is_number(value):
        return [invalid_type(path, "number", value)]
    if not is_int(value) and not (isinstance(value, float) and value.is_integer()):
        return [invalid_type(path, "int", value)]
    if minimum is not None and value < minimum:
        return [too_small(path, "number", minimum)]
    if maximum is not None and value > maximum:
        return [too_big(path, "number", maximum)]
    return []


def _enum(path: Path, value: Any, values: tuple[Any, ...]) -> list[Issue]:
    return [] if value in values and type(value) is type(values[0]) else [invalid_value(path, values)]


def _object(path: Path, value: Any) -> list[Issue]:
    return [] if isinstance(value, dict) else [invalid_type(path, "object", value)]


def _array(path: Path, value: Any, minimum: int = 0, maximum: int | None = None) -> list[Issue]:
    if not isinstance(value, list):
        return [invalid_type(path, "array", value)]
    if len(value) < minimum:
        return [too_small(path, "array", minimum)]
    if maximum is not None and len(value) > maximum:
        return [too_big(path, "array", maximum)]
    return []


def _required_string(item: dict[str, Any], path: Path, key: str) -> list[Issue]:
    if key not in item:
        return [invalid_type([*path, key], "string", missing=True)]
    return _string([*path, key], item[key], minimum=1)


# ---------------------------------------------------------------------------------------- fields


def _prompt_image(path: Path, value: Any, variant: Variant) -> list[Issue]:
    if isinstance(value, str):
        return _string(path, value, minimum=1)
    if not isinstance(value, list):
        alternatives = [[invalid_type([], "string", value)], [invalid_type([], "array", value)]]
        return [invalid_union(path, alternatives)]
    issues = _array(path, value, minimum=1, maximum=len(variant.positions))
    seen: list[str] = []
    for index, item in enumerate(value):
        item_path: Path = [*path, index]
        if not isinstance(item, dict):
            issues.append(invalid_type(item_path, "object", item))
            continue
        issues += _required_string(item, item_path, "uri")
        position = item.get("position")
        if position not in variant.positions:
            issues.append(invalid_value([*item_path, "position"], variant.positions))
        else:
            seen.append(position)
    for position in sorted({p for p in seen if seen.count(p) > 1}):
        issues.append(custom(path, f"Duplicate position '{position}': each position may appear once."))
    if not variant.last_only_ok and seen and "first" not in seen:
        issues.append(custom(path, "A 'last' frame requires a 'first' frame for this model."))
    return issues


def _duration(path: Path, value: Any, variant: Variant) -> list[Issue]:
    rule = variant.duration
    if rule is None:
        return []
    if rule.choices is not None:
        return _enum(path, value, rule.choices)
    return _integer(path, value, rule.minimum, rule.maximum)


def _ratio(path: Path, value: Any, variant: Variant) -> list[Issue]:
    if variant.ratios is None:
        return _string(path, value, minimum=1)
    return _enum(path, value, variant.ratios)


def _content_moderation(path: Path, value: Any, variant: Variant) -> list[Issue]:
    issues = _object(path, value)
    if not issues and "publicFigureThreshold" in value:
        threshold = value["publicFigureThreshold"]
        issues += _enum([*path, "publicFigureThreshold"], threshold, PUBLIC_FIGURE_THRESHOLDS)
    return issues


def _uri_items(path: Path, value: Any, minimum: int = 0, maximum: int | None = None) -> list[Issue]:
    """An array of objects that each need a `uri` string."""
    issues = _array(path, value, minimum, maximum)
    if issues:
        return issues
    for index, item in enumerate(value):
        item_path: Path = [*path, index]
        issues += _object(item_path, item) or _required_string(item, item_path, "uri")
    return issues


def _references(path: Path, value: Any, variant: Variant) -> list[Issue]:
    issues = _uri_items(path, value)
    if not issues:
        for index, item in enumerate(value):
            issues += _enum([*path, index, "type"], item.get("type"), ("image",))
    return issues


def _reference_images(path: Path, value: Any, variant: Variant) -> list[Issue]:
    issues = _uri_items(path, value, variant.min_reference_images, REFERENCE_IMAGES_MAX)
    if not issues:
        for index, item in enumerate(value):
            tag = item.get("tag")
            if tag is None:
                continue
            tag_issues = _string([*path, index, "tag"], tag)
            if not tag_issues and not re.match(TAG_PATTERN, tag):
                tag_issues = [invalid_format([*path, index, "tag"], TAG_PATTERN)]
            issues += tag_issues
    return issues


def _keyframes(path: Path, value: Any, variant: Variant) -> list[Issue]:
    return _uri_items(path, value)


FieldCheck = Callable[[Path, Any, Variant], list[Issue]]

FIELD_CHECKS: dict[str, FieldCheck] = {
    "promptText": lambda p, v, _: _string(p, v, 1, PROMPT_MAX_UTF16),
    "negativePrompt": lambda p, v, _: _string(p, v, None, PROMPT_MAX_UTF16),
    "promptImage": _prompt_image,
    "videoUri": lambda p, v, _: _string(p, v, minimum=1),
    "ratio": _ratio,
    "duration": _duration,
    "seed": lambda p, v, _: _integer(p, v, 0, SEED_MAX),
    "contentModeration": _content_moderation,
    "audio": lambda p, v, _: [] if isinstance(v, bool) else [invalid_type(p, "boolean", v)],
    "references": _references,
    "referenceImages": _reference_images,
    "keyframes": _keyframes,
    "targetAspectRatio": lambda p, v, _: _enum(p, v, TARGET_ASPECT_RATIOS),
    "outputFormat": lambda p, v, _: _enum(p, v, VIDEO_OUTPUT_FORMATS),
    "proresProfile": lambda p, v, _: _enum(p, v, PRORES_PROFILES),
}


def _missing(field: str, variant: Variant) -> Issue:
    """The issue Zod raises for an absent required field (its schema fed `undefined`)."""
    path: Path = [field]
    if field == "promptImage":
        errors = [[invalid_type([], "string", missing=True)], [invalid_type([], "array", missing=True)]]
        return invalid_union(path, errors)
    if field == "ratio" and variant.ratios is not None:
        return invalid_value(path, variant.ratios)
    if field == "duration" and variant.duration is not None and variant.duration.choices is not None:
        return invalid_value(path, variant.duration.choices)
    expected = {"duration": "number", "referenceImages": "array"}.get(field, "string")
    return invalid_type(path, expected, missing=True)


def validate_body(endpoint: str, body: Any, *, removed_models: set[str], strict: bool) -> Variant:
    """The model variant the body selects; raises ValidationFailed with every issue otherwise."""
    if not isinstance(body, dict):
        raise ValidationFailed([invalid_type([], "object", body)])
    model = body.get("model")
    if not isinstance(model, str):
        issues = [invalid_type(["model"], "string", model, missing="model" not in body)]
        raise ValidationFailed([*issues, no_matching_discriminator(["model"], "model")])
    variant = find_variant(endpoint, model, removed_models)
    if variant is None:
        raise ValidationFailed([no_matching_discriminator(["model"], "model")])
    issues: list[Issue] = []
    for field in variant.required:
        if field not in body:
            issues.append(_missing(field, variant))
    for field, value in body.items():
        if field in variant.fields and field in FIELD_CHECKS:
            issues += FIELD_CHECKS[field]([field], value, variant)
    if strict:
        extra = sorted(set(body) - variant.fields)
        if extra:
            issues.append(unrecognized_keys([], extra))
    if issues:
        raise ValidationFailed(issues)
    return variant
