"""Multipart field names in bracket notation, as the OpenAI SDK (qs, brackets) writes them."""

from __future__ import annotations

from irisgate.server.forms import decode_loose, set_nested, split_form_key


def parse(pairs: list[tuple[str, str]]) -> dict:
    data: dict = {}
    for key, value in pairs:
        name, path = split_form_key(key)
        set_nested(data, name, path, value)
    return data


def test_brackets_rebuild_objects_and_lists():
    assert parse([("image[]", "a"), ("image[]", "b")]) == {"image": ["a", "b"]}
    assert parse([("meta[a]", "1"), ("meta[b][c]", "2")]) == {"meta": {"a": "1", "b": {"c": "2"}}}
    assert parse(
        [
            ("references[][type]", "image"),
            ("references[][uri]", "u1"),
            ("references[][type]", "image"),
            ("references[][uri]", "u2"),
        ]
    ) == {"references": [{"type": "image", "uri": "u1"}, {"type": "image", "uri": "u2"}]}
    assert parse([("odd]name", "x")]) == {"odd]name": "x"}


def test_decode_loose_only_decodes_json_looking_values():
    assert decode_loose({"top": "256", "blur": "8.5", "on": "true", "obj": '{"a": [1]}'}) == {
        "top": 256,
        "blur": 8.5,
        "on": True,
        "obj": {"a": [1]},
    }
    assert decode_loose("Euler a") == "Euler a"
    assert decode_loose("{not json") == "{not json"
    assert decode_loose("007") == "007"
