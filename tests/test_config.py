"""Config file loading and validation (irisgate.config)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import trustme

from irisgate.config import (
    ConfigError,
    GatewayConfig,
    key_id_for,
    load_config,
    parse_config,
    parse_duration,
    parse_network_config,
    redact_secret,
    resolve_secret,
)
from irisgate.providers.catalog import PROVIDERS

SECRET = "rw-live-SUPERSECRET-0123456789"
LITERAL = "literal-SECRET-abcdefghijkl"


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNWARE_API_KEY", SECRET)
    monkeypatch.setenv("RUNWAY_API_KEY", "rk-runway-SECRET-987654321")
    monkeypatch.delenv("IRISGATE_UNSET_VAR", raising=False)


def base_document() -> dict[str, Any]:
    return {
        "providers": {
            "runware": {
                "keys": [{"name": "main", "value": "env.RUNWARE_API_KEY", "models": ["*"], "weight": 1.0}],
                "network_config": {
                    "base_url": "https://api.runware.ai/v1",
                    "default_request_timeout_in_seconds": 60,
                    "max_retries": 3,
                    "retry_backoff_initial": "250ms",
                    "retry_backoff_max": "4s",
                    "extra_headers": {"X-Foo": "bar"},
                },
            },
            "runway": {
                "keys": [{"name": "main", "value": "env.RUNWAY_API_KEY"}],
                "network_config": {"base_url": "https://api.dev.runwayml.com"},
            },
        }
    }


YAML_TEXT = """\
providers:
  runware:
    keys:
      - {name: main, value: env.RUNWARE_API_KEY, models: ["runware:100@1"], weight: 2, enabled: false}
      - value: literal-SECRET-abcdefghijkl
    network_config:
      base_url: http://127.0.0.1:9999/v1/
      retry_backoff_initial: 1.5s
      retry_backoff_max: 2m
  runway:
    keys: [{name: main, value: env.RUNWAY_API_KEY}]
store:
  url: sqlite:////tmp/x.db
admin_token: env.RUNWARE_API_KEY
"""


def error_for(data: Any) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_config(data)
    return info.value


# -- loading ---------------------------------------------------------------------------------------


def test_json_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(base_document()))
    config = load_config(path)
    assert config.source_path == path
    runware = config.providers["runware"]
    assert runware.display_name == "Runware"
    assert runware.network.base_url == "https://api.runware.ai/v1"
    assert runware.network.timeout_seconds == 60
    assert runware.network.max_retries == 3
    assert runware.network.retry_backoff_initial == pytest.approx(0.25)
    assert runware.network.retry_backoff_max == pytest.approx(4.0)
    assert dict(runware.network.extra_headers) == {"X-Foo": "bar"}
    (key,) = runware.keys
    assert key.secret == SECRET
    assert key.value_ref == "env.RUNWARE_API_KEY"
    assert key.env_var == "RUNWARE_API_KEY"
    assert key.value_kind == "env"
    assert key.secret_hint is None
    assert key.id == key_id_for("runware", "main")
    assert key.admits("anything")
    runway = config.providers["runway"]
    assert runway.display_name == "Runway ML"
    assert runway.network.timeout_seconds == 120
    assert runway.network.max_retries == 2
    assert runway.network.retry_backoff_initial == pytest.approx(0.5)
    assert runway.network.retry_backoff_max == pytest.approx(5.0)
    assert config.ignored_fields == ()


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".conf"])
def test_yaml_file_loads(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"config{suffix}"
    path.write_text(YAML_TEXT)
    config = load_config(path)
    runware = config.providers["runware"]
    main, second = runware.keys
    assert (main.models, main.weight, main.enabled) == (("runware:100@1",), 2.0, False)
    assert main.admits("runware:100@1") and not main.admits("runware:101@1")
    assert second.name == "key-2"  # a missing name defaults to key-<position>
    assert second.value_kind == "literal" and second.env_var is None
    assert second.secret == LITERAL and second.value_ref == LITERAL
    assert second.secret_hint == redact_secret(LITERAL)
    assert runware.network.base_url == "http://127.0.0.1:9999/v1"  # trailing slash trimmed
    assert runware.network.retry_backoff_initial == pytest.approx(1.5)
    assert runware.network.retry_backoff_max == pytest.approx(120.0)
    assert config.providers["runway"].network.base_url == PROVIDERS["runway"].default_base_url
    assert config.store_url == "sqlite:////tmp/x.db"
    assert config.admin_token == SECRET


def test_unknown_extension_falls_back_to_json(tmp_path: Path) -> None:
    path = tmp_path / "gateway.conf"
    path.write_text(json.dumps(base_document()))
    assert set(load_config(path).providers) == {"runware", "runway"}


def test_none_path_and_empty_yaml_give_empty_config(tmp_path: Path) -> None:
    assert load_config(None) == GatewayConfig()
    path = tmp_path / "empty.yaml"
    path.write_text("")
    config = load_config(path)
    assert config.providers == {} and config.store_url is None and config.admin_token is None


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.field == str(path)
    assert "not found" in info.value.message


def test_json_syntax_error_names_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text('{\n  "providers": {\n    "runware": {"keys": [}\n  }\n}\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.field == str(path)
    assert "invalid JSON at line 3, column" in info.value.message


def test_yaml_syntax_error_names_line_and_column_but_not_content(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(f"providers:\n  runware:\n    keys: [{{value: {LITERAL}\n  bad: : :\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.field == str(path)
    assert "invalid YAML at line" in info.value.message
    assert LITERAL not in str(info.value)


def test_unknown_extension_with_garbage_reports_both_formats(tmp_path: Path) -> None:
    path = tmp_path / "config.txt"
    path.write_text("providers: [unclosed\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "JSON" in info.value.message and "YAML" in info.value.message


# -- validation: every error names its field --------------------------------------------------------


def _with(mutate: Any) -> dict[str, Any]:
    document = base_document()
    mutate(document)
    return document


def _rw(document: dict[str, Any]) -> dict[str, Any]:
    return document["providers"]["runware"]


def _key(document: dict[str, Any]) -> dict[str, Any]:
    return _rw(document)["keys"][0]


def _net(document: dict[str, Any]) -> dict[str, Any]:
    return _rw(document)["network_config"]


INVALID: list[tuple[str, Any, str]] = [
    ("providers not mapping", lambda d: d.update(providers=["runware"]), "providers"),
    ("unknown provider", lambda d: d["providers"].update(nosuchprovider={}), "providers.nosuchprovider"),
    ("provider not mapping", lambda d: d["providers"].update(runway="x"), "providers.runway"),
    ("keys not list", lambda d: _rw(d).update(keys={"name": "x"}), "providers.runware.keys"),
    ("key not mapping", lambda d: _rw(d).update(keys=["env.X"]), "providers.runware.keys[0]"),
    ("value missing", lambda d: _key(d).pop("value"), "providers.runware.keys[0].value"),
    ("value empty", lambda d: _key(d).update(value=""), "providers.runware.keys[0].value"),
    ("value not string", lambda d: _key(d).update(value=123), "providers.runware.keys[0].value"),
    ("env name empty", lambda d: _key(d).update(value="env."), "providers.runware.keys[0].value"),
    ("name not string", lambda d: _key(d).update(name=7), "providers.runware.keys[0].name"),
    (
        "duplicate name",
        lambda d: _rw(d)["keys"].append({"name": "main", "value": "x"}),
        "providers.runware.keys[1].name",
    ),
    ("models not list", lambda d: _key(d).update(models="*"), "providers.runware.keys[0].models"),
    ("model not string", lambda d: _key(d).update(models=["a", 3]), "providers.runware.keys[0].models[1]"),
    ("weight zero", lambda d: _key(d).update(weight=0), "providers.runware.keys[0].weight"),
    ("weight negative", lambda d: _key(d).update(weight=-1), "providers.runware.keys[0].weight"),
    ("weight string", lambda d: _key(d).update(weight="1"), "providers.runware.keys[0].weight"),
    ("weight bool", lambda d: _key(d).update(weight=True), "providers.runware.keys[0].weight"),
    ("enabled not bool", lambda d: _key(d).update(enabled="yes"), "providers.runware.keys[0].enabled"),
    (
        "network not mapping",
        lambda d: _rw(d).update(network_config=[]),
        "providers.runware.network_config",
    ),
    (
        "base_url scheme",
        lambda d: _net(d).update(base_url="ftp://x"),
        "providers.runware.network_config.base_url",
    ),
    (
        "base_url no host",
        lambda d: _net(d).update(base_url="https://"),
        "providers.runware.network_config.base_url",
    ),
    (
        "timeout zero",
        lambda d: _net(d).update(default_request_timeout_in_seconds=0),
        "providers.runware.network_config.default_request_timeout_in_seconds",
    ),
    (
        "max_retries negative",
        lambda d: _net(d).update(max_retries=-1),
        "providers.runware.network_config.max_retries",
    ),
    (
        "max_retries too big",
        lambda d: _net(d).update(max_retries=11),
        "providers.runware.network_config.max_retries",
    ),
    (
        "max_retries float",
        lambda d: _net(d).update(max_retries=1.5),
        "providers.runware.network_config.max_retries",
    ),
    (
        "bad duration",
        lambda d: _net(d).update(retry_backoff_initial="5 sec"),
        "providers.runware.network_config.retry_backoff_initial",
    ),
    (
        "duration without unit",
        lambda d: _net(d).update(retry_backoff_max="500"),
        "providers.runware.network_config.retry_backoff_max",
    ),
    (
        "initial above max",
        lambda d: _net(d).update(retry_backoff_initial="10s", retry_backoff_max="1s"),
        "providers.runware.network_config.retry_backoff_initial",
    ),
    (
        "headers not mapping",
        lambda d: _net(d).update(extra_headers=["X-A: b"]),
        "providers.runware.network_config.extra_headers",
    ),
    (
        "header value not string",
        lambda d: _net(d).update(extra_headers={"X-A": 1}),
        "providers.runware.network_config.extra_headers.X-A",
    ),
    ("store not mapping", lambda d: d.update(store="sqlite://"), "store"),
    ("store url not string", lambda d: d.update(store={"url": 5}), "store.url"),
    ("admin token empty", lambda d: d.update(admin_token=""), "admin_token"),
    ("limits not mapping", lambda d: d.update(limits=64), "limits"),
    ("max body zero", lambda d: d.update(limits={"max_body_mb": 0}), "limits.max_body_mb"),
    ("max body text", lambda d: d.update(limits={"max_body_mb": "64MB"}), "limits.max_body_mb"),
    ("max body huge", lambda d: d.update(limits={"max_body_mb": 1e9}), "limits.max_body_mb"),
]


def test_max_body_size_defaults_to_64_mib_and_is_configurable() -> None:
    assert parse_config({}).max_body_bytes == 64 * 1024 * 1024
    config = parse_config({"limits": {"max_body_mb": 0.5}})
    assert (config.max_body_mb, config.max_body_bytes) == (0.5, 512 * 1024)
    assert config.ignored_fields == ()
    error = error_for({"limits": {"max_body_mb": 8, "max_bdy_mb": 1}})
    assert str(error) == "limits.max_bdy_mb: unknown field; did you mean `max_body_mb`?"


def test_max_upstream_body_size_defaults_to_256_mib_and_reaches_every_provider() -> None:
    config = parse_config(base_document())
    assert config.max_upstream_body_mb == 256
    assert config.providers["runware"].network.max_response_bytes == 256 * 1024 * 1024
    document = base_document()
    document["limits"] = {"max_upstream_body_mb": 0.25}
    config = parse_config(document)
    assert {p.network.max_response_bytes for p in config.providers.values()} == {256 * 1024}
    assert error_for({"limits": {"max_upstream_body_mb": 0}}).field == "limits.max_upstream_body_mb"


@pytest.mark.parametrize(("mutate", "field"), [case[1:] for case in INVALID], ids=[c[0] for c in INVALID])
def test_validation_error_names_field(mutate: Any, field: str) -> None:
    document = base_document()
    mutate(document)
    error = error_for(document)
    assert error.field == field
    assert str(error) == f"{field}: {error.message}"
    assert SECRET not in str(error)


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    assert error_for([base_document()]).field == "<config>"
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.field == str(path) and "mapping" in info.value.message


def test_unknown_provider_lists_known_ones() -> None:
    error = error_for(_with(lambda d: d["providers"].update(nosuchprovider={})))
    assert "runware" in error.message and "runway" in error.message


def test_unset_env_names_field_and_variable() -> None:
    error = error_for(_with(lambda d: _key(d).update(value="env.IRISGATE_UNSET_VAR")))
    assert str(error) == (
        "providers.runware.keys[0].value: environment variable IRISGATE_UNSET_VAR is not set"
    )


def test_empty_env_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IRISGATE_EMPTY_VAR", "")
    error = error_for(_with(lambda d: _key(d).update(value="env.IRISGATE_EMPTY_VAR")))
    assert error.field == "providers.runware.keys[0].value"
    assert "IRISGATE_EMPTY_VAR" in error.message


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"store": {"url": "env.IRISGATE_UNSET_VAR"}}, "store.url"),
        ({"admin_token": "env.IRISGATE_UNSET_VAR"}, "admin_token"),
    ],
)
def test_env_refs_in_store_url_and_admin_token(document: dict[str, Any], field: str) -> None:
    error = error_for(document)
    assert error.field == field and "IRISGATE_UNSET_VAR" in error.message


def test_store_url_and_admin_token_resolve_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u:pw@db/irisgate")
    config = parse_config({"store": {"url": "env.DATABASE_URL"}, "admin_token": "env.RUNWAY_API_KEY"})
    assert config.store_url == "postgresql+asyncpg://u:pw@db/irisgate"
    assert config.admin_token == "rk-runway-SECRET-987654321"


def test_models_absent_or_empty_mean_all() -> None:
    document = base_document()
    _key(document).pop("models")
    document["providers"]["runway"]["keys"][0]["models"] = []
    config = parse_config(document)
    assert config.providers["runware"].keys[0].models == ("*",)
    assert config.providers["runway"].keys[0].models == ("*",)


def test_provider_without_keys_is_allowed() -> None:
    config = parse_config({"providers": {"runway": {}}})
    assert config.providers["runway"].keys == ()
    assert config.providers["runway"].network.base_url == PROVIDERS["runway"].default_base_url


# -- secrets never leak -----------------------------------------------------------------------------


def test_secrets_absent_from_every_repr_and_str() -> None:
    document = base_document()
    _rw(document)["keys"].append({"name": "lit", "value": LITERAL})
    document["admin_token"] = LITERAL + "-admin"
    document["store"] = {"url": "postgresql+asyncpg://user:DBPASSWORD@db/x"}
    _net(document)["extra_headers"] = {"Authorization": "Bearer HEADERSECRET"}
    config = parse_config(document)
    texts = [repr(config), str(config)]
    for provider in config.providers.values():
        texts += [repr(provider), str(provider), repr(provider.network)]
        for key in provider.keys:
            texts += [repr(key), str(key), key.display_value]
    for text in texts:
        for secret in (SECRET, LITERAL, "DBPASSWORD", "HEADERSECRET", "rk-runway-SECRET"):
            assert secret not in text
    assert "lit" in repr(config)  # the key itself is still visible


def test_secrets_absent_from_errors_of_other_fields() -> None:
    error = error_for(
        _with(lambda d: _rw(d)["keys"].append({"name": "main", "value": LITERAL, "weight": "heavy"}))
    )
    assert LITERAL not in str(error) and LITERAL not in repr(error)


def test_resolve_and_redact_secret() -> None:
    assert resolve_secret("plain-value", "f") == "plain-value"
    assert resolve_secret("env.RUNWARE_API_KEY", "f") == SECRET
    with pytest.raises(ConfigError, match=r"^x\.y: environment variable IRISGATE_UNSET_VAR is not set$"):
        resolve_secret("env.IRISGATE_UNSET_VAR", "x.y")
    assert redact_secret("sk-1234567890abcdef") == "sk-1****cdef"
    assert redact_secret("short") == "****"
    assert redact_secret("12345678901") == "****"
    assert redact_secret("123456789012") == "1234****9012"


def test_key_id_is_stable_and_distinct() -> None:
    assert key_id_for("runware", "main") == key_id_for("runware", "main")
    assert key_id_for("runware", "main") != key_id_for("runway", "main")
    assert len(key_id_for("runware", "main")) == 36


# -- Bifrost compatibility --------------------------------------------------------------------------


def test_bifrost_config_with_extra_fields_loads_and_reports_them(tmp_path: Path) -> None:
    document = {
        "$schema": "https://www.getbifrost.ai/schema",
        "client": {"drop_excess_requests": False},
        "config_store": {"enabled": True, "type": "sqlite", "config": {"path": "./config.db"}},
        "logs_store": {"enabled": True},
        "plugins": [],
        "providers": {
            "runware": {
                "keys": [
                    {
                        "name": "runware-key-1",
                        "value": "env.RUNWARE_API_KEY",
                        "models": ["*"],
                        "weight": 1.0,
                        "description": "primary",
                        "use_for_batch_api": False,
                    }
                ],
                "network_config": {
                    "base_url": "https://api.runware.ai/v1",
                    "default_request_timeout_in_seconds": 30,
                    "max_retries": 0,
                    "retry_backoff_initial": 500,
                    "retry_backoff_max": 5000,
                    "insecure_skip_verify": False,
                    "max_conns_per_host": 50,
                    "enforce_http2": False,
                },
                "concurrency_and_buffer_size": {"concurrency": 1000, "buffer_size": 5000},
                "proxy_config": {"type": "none"},
                "send_back_raw_response": False,
            }
        },
    }
    path = tmp_path / "config.json"
    path.write_text(json.dumps(document))
    config = load_config(path)
    network = config.providers["runware"].network
    assert (network.retry_backoff_initial, network.retry_backoff_max) == (0.5, 5.0)
    assert network.max_retries == 0 and network.timeout_seconds == 30
    # the Bifrost fields irisgate applies are applied, not reported
    assert network.proxy.type == "none" and network.max_conns_per_host == 50
    assert network.insecure_skip_verify is False
    assert set(config.ignored_fields) == {
        "$schema",
        "client",
        "config_store",
        "logs_store",
        "plugins",
        "providers.runware.keys[0].description",
        "providers.runware.keys[0].use_for_batch_api",
        "providers.runware.network_config.enforce_http2",
        "providers.runware.concurrency_and_buffer_size",
        "providers.runware.send_back_raw_response",
    }


# -- strictness: an unknown field is an error naming its path and the closest known name -----------

TYPOS: list[tuple[str, Any, str]] = [
    (
        "top level",
        lambda d: d.update(provders=d.pop("providers")),
        "provders: unknown field; did you mean `providers`?",
    ),
    (
        "provider",
        lambda d: _rw(d).update(network_confg=_rw(d).pop("network_config")),
        "providers.runware.network_confg: unknown field; did you mean `network_config`?",
    ),
    (
        "network_config",
        lambda d: _net(d).update(base_ulr=_net(d).pop("base_url")),
        "providers.runware.network_config.base_ulr: unknown field; did you mean `base_url`?",
    ),
    (
        "proxy_config",
        lambda d: _rw(d).update(proxy_config={"type": "http", "ulr": "http://proxy:3128"}),
        "providers.runware.proxy_config.ulr: unknown field; did you mean `url`?",
    ),
    (
        "key",
        lambda d: _key(d).update(modles=["*"]),
        "providers.runware.keys[0].modles: unknown field; did you mean `models`?",
    ),
    (
        "store",
        lambda d: d.update(store={"ulr": "sqlite://"}),
        "store.ulr: unknown field; did you mean `url`?",
    ),
    ("nothing close", lambda d: d.update(my_typo=1), "my_typo: unknown field"),
    (
        "provider name",
        lambda d: d["providers"].update(runwya={}),
        "providers.runwya: unknown provider; did you mean `runway`? "
        f"(known providers: {', '.join(sorted(PROVIDERS))})",
    ),
    (
        "proxy inside network_config",
        lambda d: _net(d).update(proxy_config={"type": "none"}),
        "providers.runware.network_config.proxy_config: unknown field",
    ),
]


@pytest.mark.parametrize(("mutate", "text"), [case[1:] for case in TYPOS], ids=[c[0] for c in TYPOS])
def test_unknown_fields_are_errors_naming_the_closest_known_name(mutate: Any, text: str) -> None:
    assert str(error_for(_with(mutate))) == text


def test_a_misspelled_base_url_never_falls_back_to_the_real_provider(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "providers:\n  runware:\n    keys: [{value: env.RUNWARE_API_KEY}]\n"
        "    network_config: {base_ulr: http://127.0.0.1:9/v1}\n"
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.field == "providers.runware.network_config.base_ulr"
    assert "did you mean `base_url`?" in info.value.message


def test_stored_network_configs_are_strict_too() -> None:
    with pytest.raises(ConfigError) as info:
        parse_network_config({"base_url": "http://x", "timout": 3}, "network_config", "https://unused")
    assert info.value.field == "network_config.timout"
    # Bifrost fields irisgate does not use are accepted (and dropped)
    network = parse_network_config({"enforce_http2": True}, "network_config", "https://default")
    assert "enforce_http2" not in network.to_dict()


# -- proxy and TLS ----------------------------------------------------------------------------------

CA_PEM = trustme.CA().cert_pem.bytes().decode()


def test_proxy_and_tls_settings_are_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IRISGATE_PROXY_PASSWORD", "proxy-SECRET-pass")
    monkeypatch.setenv("IRISGATE_CA", CA_PEM)
    document = base_document()
    _rw(document)["proxy_config"] = {
        "type": "http",
        "url": "http://proxy.internal:3128",
        "username": "gateway",
        "password": "env.IRISGATE_PROXY_PASSWORD",
    }
    _net(document).update(ca_cert_pem="env.IRISGATE_CA", max_conns_per_host=8)
    _net(document)["insecure_skip_verify"] = False
    document["providers"]["runway"]["network_config"]["ca_cert_pem"] = CA_PEM
    config = parse_config(document)
    network = config.providers["runware"].network
    proxy = network.proxy
    assert (proxy.type, proxy.url, proxy.username, proxy.password) == (
        "http",
        "http://proxy.internal:3128",
        "gateway",
        "proxy-SECRET-pass",
    )
    assert network.ca_cert_pem == CA_PEM and network.ca_cert_ref == "env.IRISGATE_CA"
    assert network.max_conns_per_host == 8
    assert config.providers["runway"].network.ca_cert_pem == CA_PEM.strip()
    assert config.providers["runway"].network.proxy.type == "environment"  # the default
    for text in (repr(config), repr(network), repr(proxy), proxy.display):
        assert "proxy-SECRET-pass" not in text and "BEGIN CERTIFICATE" not in text
    assert proxy.display == "http://proxy.internal:3128 as gateway, password env.IRISGATE_PROXY_PASSWORD"
    again = parse_network_config(network.to_dict(), "x", "https://unused")
    assert again == network  # the store's form round-trips, env references kept as written
    assert network.to_dict()["proxy_config"]["password"] == "env.IRISGATE_PROXY_PASSWORD"


def test_a_literal_proxy_password_is_used_but_never_written_out() -> None:
    document = base_document()
    _rw(document)["proxy_config"] = {
        "type": "http",
        "url": "http://p:3128",
        "username": "u",
        "password": "hunter2",
    }
    network = parse_config(document).providers["runware"].network
    assert network.proxy.password == "hunter2"
    assert network.proxy.display == "http://p:3128 as u, password set"
    assert "hunter2" not in json.dumps(network.to_dict())


PROXY_AND_TLS_ERRORS: list[tuple[str, Any, str, str]] = [
    (
        "socks5",
        {"type": "socks5", "url": "socks5://p:1080"},
        "proxy_config.type",
        "socks5 proxies are not supported",
    ),
    ("bad type", {"type": "vpn"}, "proxy_config.type", "must be one of: environment, http, none"),
    ("http without url", {"type": "http"}, "proxy_config.url", "is required"),
    ("https proxy", {"type": "http", "url": "https://p:3128"}, "proxy_config.url", "HTTPS proxies"),
    ("credentials in url", {"type": "http", "url": "http://u:pw@p:3128"}, "proxy_config.url", "username and"),
    (
        "url with none",
        {"type": "none", "url": "http://p:3128"},
        "proxy_config.url",
        "only used with type: http",
    ),
    (
        "password alone",
        {"type": "http", "url": "http://p:1", "password": "x"},
        "proxy_config.username",
        "required",
    ),
    (
        "unset env",
        {"type": "http", "url": "http://p:1", "username": "u", "password": "env.IRISGATE_UNSET_VAR"},
        "proxy_config.password",
        "IRISGATE_UNSET_VAR is not set",
    ),
]


@pytest.mark.parametrize(
    ("proxy", "field", "words"),
    [c[1:] for c in PROXY_AND_TLS_ERRORS],
    ids=[c[0] for c in PROXY_AND_TLS_ERRORS],
)
def test_proxy_errors_name_the_field(proxy: dict[str, Any], field: str, words: str) -> None:
    error = error_for(_with(lambda d: _rw(d).update(proxy_config=proxy)))
    assert error.field == f"providers.runware.{field}"
    assert words in error.message
    assert "pw@" not in str(error)


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"ca_cert_pem": "/etc/ssl/ca.pem"}, "ca_cert_pem", "PEM text"),
        (
            {"ca_cert_pem": "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"},
            "ca_cert_pem",
            "no valid",
        ),
        ({"insecure_skip_verify": "yes"}, "insecure_skip_verify", "true or false"),
        ({"max_conns_per_host": 0}, "max_conns_per_host", "from 1 to 10000"),
    ],
)
def test_tls_and_connection_errors_name_the_field(changes: dict[str, Any], field: str, words: str) -> None:
    error = error_for(_with(lambda d: _net(d).update(changes)))
    assert error.field == f"providers.runware.network_config.{field}"
    assert words in error.message


# -- durations --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("500ms", 0.5),
        ("1.5s", 1.5),
        ("2m", 120.0),
        (500, 0.5),
        ("1h30m", 5400.0),
        ("0", 0.0),
        ("250us", 0.00025),
    ],
)
def test_durations(value: Any, seconds: float) -> None:
    assert parse_duration(value) == pytest.approx(seconds)


@pytest.mark.parametrize("value", ["", "5", "5 s", "-1s", "1.5x", "ms", True, None, [], -5])
def test_bad_durations(value: Any) -> None:
    with pytest.raises(ValueError):
        parse_duration(value)


def test_network_config_round_trips_through_to_dict() -> None:
    network = parse_config(base_document()).providers["runware"].network
    again = parse_network_config(network.to_dict(), "x", "https://unused")
    assert again == network


# -- media -------------------------------------------------------------------------------------------


def test_media_defaults_to_the_app_dir_kept_for_good(tmp_path: Path) -> None:
    media = parse_config({}).media
    assert (media.store, media.retention_days, media.retention_seconds) == ("local", None, None)
    assert media.local_path(tmp_path) == tmp_path / "media"
    relative = parse_config({"media": {"path": "kept", "retention_days": 0.5}}).media
    assert relative.local_path(tmp_path) == tmp_path / "kept"
    assert relative.retention_seconds == 43200


def test_media_s3_reads_its_keys_from_the_environment_and_never_shows_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MEDIA_KEY_ID", "AKIA-SECRET-ID-123456")
    monkeypatch.setenv("MEDIA_KEY", "media-SECRET-value-abcdef")
    media = parse_config(
        {
            "media": {
                "store": "s3",
                "bucket": "irisgate-videos",
                "prefix": "/prod/",
                "endpoint_url": "http://127.0.0.1:9000/",
                "region": "eu-west-1",
                "access_key_id": "env.MEDIA_KEY_ID",
                "secret_access_key": "env.MEDIA_KEY",
            }
        }
    ).media
    assert (media.bucket, media.prefix, media.endpoint_url) == (
        "irisgate-videos",
        "prod/",
        "http://127.0.0.1:9000",
    )
    assert (media.access_key_id, media.secret_access_key) == (
        "AKIA-SECRET-ID-123456",
        "media-SECRET-value-abcdef",
    )
    shown = repr(media) + media.display()
    assert "SECRET" not in shown
    assert "env.MEDIA_KEY_ID" in media.display()


@pytest.mark.parametrize(
    ("media", "field", "fragment"),
    [
        ({"store": "gcs"}, "media.store", "local, s3"),
        ({"bucket": "videos"}, "media.bucket", "`store: s3` only"),
        ({"store": "s3"}, "media.bucket", "required"),
        ({"store": "s3", "bucket": "Videos!"}, "media.bucket", "bucket name"),
        ({"store": "s3", "bucket": "videos", "path": "/srv"}, "media.path", "local"),
        ({"store": "s3", "bucket": "videos", "access_key_id": "x"}, "media.secret_access_key", "other half"),
        ({"store": "s3", "bucket": "videos", "endpoint_url": "s3.local"}, "media.endpoint_url", "http"),
        ({"retention_days": 0}, "media.retention_days", "above 0"),
        ({"retention_days": True}, "media.retention_days", "days"),
        ({"retention": 3}, "media.retention", "retention_days"),
        ({"store": "s3", "bucket": "videos", "access_key_id": "env.IRISGATE_UNSET_VAR",
          "secret_access_key": "x"}, "media.access_key_id", "IRISGATE_UNSET_VAR"),
    ],
)  # fmt: skip
def test_media_mistakes_name_their_field(media: dict[str, Any], field: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config({"media": media})
    assert raised.value.field == field
    assert fragment in raised.value.message
