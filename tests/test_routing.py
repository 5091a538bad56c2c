"""Key choice: allowlists, enabled flags and weights, seen from the provider's side."""

from __future__ import annotations

import random
from collections import Counter

import httpx
import openai
import pytest

from irisgate.config import parse_config
from irisgate.routing.router import choose_key, split_model

from fixtures_gateway import RUNWARE_MODEL


def keys_config(api_url: str, keys: list[dict]) -> dict:
    return {"providers": {"runware": {"keys": keys, "network_config": {"base_url": api_url}}}}


def used_keys(sim) -> list[str]:
    return [r.headers["authorization"].removeprefix("Bearer ") for r in sim.requests if r.method == "POST"]


def generate(gateway, model: str) -> httpx.Response:
    return httpx.post(
        gateway.base_url + "/images/generations", json={"model": model, "prompt": "a cat", "size": "128x128"}
    )


def test_split_model_on_the_first_slash():
    assert split_model("runware/runware:100@1") == ("runware", "runware:100@1")
    assert split_model("runware/civitai:1/2@3") == ("runware", "civitai:1/2@3")


def test_allowlists_pick_the_key_that_admits_the_model(make_gateway, runware_sim):
    runware_sim.sim.settings.api_keys.update({"rw-flux-key", "rw-sdxl-key"})
    gateway = make_gateway(
        keys_config(
            runware_sim.api_url,
            [
                {"name": "flux", "value": "rw-flux-key", "models": ["runware:101@1"]},
                {
                    "name": "sdxl",
                    "value": "rw-sdxl-key",
                    "models": ["civitai:133005@782002", "runware:100@1"],
                },
                {"name": "off", "value": "rw-test-key", "models": ["*"], "enabled": False},
            ],
        )
    )
    assert generate(gateway, "runware/runware:101@1").status_code == 200
    assert generate(gateway, "runware/civitai:133005@782002").status_code == 200
    assert generate(gateway, RUNWARE_MODEL).status_code == 200
    assert used_keys(runware_sim.sim) == ["rw-flux-key", "rw-sdxl-key", "rw-sdxl-key"]

    with pytest.raises(openai.PermissionDeniedError) as raised:
        gateway.openai().images.generate(model="runware/runware:999@1", prompt="a cat")
    assert raised.value.body["code"] == "model_not_allowed"
    assert "runware:999@1" in raised.value.body["message"]
    assert len(used_keys(runware_sim.sim)) == 3


def test_weighted_keys_share_the_traffic(make_gateway, runware_sim):
    runware_sim.sim.settings.api_keys.update({"rw-heavy", "rw-light"})
    gateway = make_gateway(
        keys_config(
            runware_sim.api_url,
            [
                {"name": "heavy", "value": "rw-heavy", "weight": 3},
                {"name": "light", "value": "rw-light", "weight": 1},
            ],
        )
    )
    for _ in range(40):
        assert generate(gateway, RUNWARE_MODEL).status_code == 200
    counts = Counter(used_keys(runware_sim.sim))
    assert set(counts) == {"rw-heavy", "rw-light"}


def test_choose_key_follows_weights():
    config = parse_config(
        {
            "providers": {
                "runware": {
                    "keys": [
                        {"name": "a", "value": "secret-a", "weight": 3.0},
                        {"name": "b", "value": "secret-b", "weight": 1.0},
                    ]
                }
            }
        }
    )
    keys = config.providers["runware"].keys
    rng = random.Random(1234)
    counts = Counter(choose_key(keys, rng).name for _ in range(20_000))
    assert 0.72 < counts["a"] / 20_000 < 0.78


def test_provider_without_enabled_keys(make_gateway, runware_sim):
    gateway = make_gateway(
        keys_config(runware_sim.api_url, [{"name": "off", "value": "x", "enabled": False}])
    )
    response = generate(gateway, RUNWARE_MODEL)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "no_provider_keys"
