"""`irisgate serve | simulate | config check | version`."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from irisgate import __version__
from irisgate.config import ConfigError, GatewayConfig, NetworkConfig, env_var_of, load_config, redact_secret

if TYPE_CHECKING:
    from irisgate.server.gateway import GatewaySettings

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="irisgate: one OpenAI-compatible API for media generation.",
)
config_app = typer.Typer(no_args_is_help=True, help="Inspect the configuration file.")
app.add_typer(config_app, name="config")
console = Console(stderr=True)

CONFIG_NAMES = ("config.json", "config.yaml", "config.yml")
ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="JSON or YAML config file (default: $IRISGATE_CONFIG, else config.* in the app dir).",
    ),
]
AppDirOption = Annotated[
    Path, typer.Option("--app-dir", help="Where irisgate keeps its SQLite store and state.")
]


def find_config(config: Path | None, app_dir: Path) -> Path | None:
    if config is not None:
        return config
    if os.environ.get("IRISGATE_CONFIG"):
        return Path(os.environ["IRISGATE_CONFIG"])
    return next((app_dir / name for name in CONFIG_NAMES if (app_dir / name).is_file()), None)


def load_or_exit(path: Path | None) -> GatewayConfig:
    """The config, or exit 2 with one line naming the bad field (an unknown one included)."""
    try:
        config = load_config(path)
    except ConfigError as exc:
        console.print(  # one line, never wrapped: scripts and log collectors read it
            f"[bold red]Configuration error[/] in {escape(str(path))}: {escape(str(exc))}",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(2) from None
    for field in config.ignored_fields:
        console.print(
            f"[yellow]note[/]: {escape(field)} is a Bifrost setting irisgate does not use; ignored",
            highlight=False,
            soft_wrap=True,
        )
    return config


@app.command()
def serve(
    config: ConfigOption = None,
    app_dir: AppDirOption = Path("./data"),
    host: Annotated[
        str, typer.Option(help="Interface to bind; keep 127.0.0.1 unless clients are trusted.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8080,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Run the gateway (the unified /v1 API, /api, the dashboard, /health and /metrics)."""
    from irisgate.admin.auth import TOKEN_FILE
    from irisgate.server.app import ENV_APP_DIR, ENV_CONFIG
    from irisgate.server.gateway import GatewaySettings
    from irisgate.server.local_guard import BIND_HOST_ENV

    config_path = find_config(config, app_dir)
    settings = GatewaySettings(config=load_or_exit(config_path), app_dir=app_dir.resolve())
    token_generated = prepare_or_exit(settings)
    os.environ[ENV_CONFIG] = str(config_path.resolve()) if config_path else ""
    os.environ[ENV_APP_DIR] = str(settings.app_dir)
    os.environ[BIND_HOST_ENV] = host  # the Host names a request may carry, by default (local_guard.py)
    providers = ", ".join(sorted(settings.config.providers)) or "none configured"
    console.print(
        f"irisgate {__version__} on http://{host}:{port}  (providers: {providers}; data: {settings.app_dir})"
    )
    if token_generated:
        token = (settings.app_dir / TOKEN_FILE).read_text().strip()
        shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        console.print(
            f"Dashboard: open http://{shown_host}:{port}/login?token={token} to sign in "
            f"(shown once; the admin token is kept in {settings.app_dir / TOKEN_FILE})",
            highlight=False,
            soft_wrap=True,
        )
    with metrics_dir(workers):
        run_uvicorn(host, port, workers, log_level)


def run_uvicorn(host: str, port: int, workers: int, log_level: str) -> None:
    import uvicorn

    from irisgate.server.app import UVICORN_OPTIONS

    uvicorn.run(
        "irisgate.server.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        **UVICORN_OPTIONS,
        log_level=log_level,
        access_log=False,
        timeout_graceful_shutdown=30,
    )


def prepare_or_exit(settings: GatewaySettings) -> bool:
    """Migrate the store and sync the config file into it, or exit 2 with one line saying why not."""
    from irisgate.server.gateway import prepare_store
    from irisgate.store import StoreIncompatible, StoreUnavailable, store_location
    from irisgate.store.engine import why_unavailable

    where = store_location(settings.store_url)
    try:
        return asyncio.run(prepare_store(settings))
    except StoreUnavailable as error:
        problem = f"the store at {where} cannot be used: {why_unavailable(settings.store_url, error)}"
    except StoreIncompatible as error:
        problem = f"the store at {where} cannot be used: {error}"
    except OSError as error:  # the app dir, its token or key file
        problem = f"{error.filename or settings.app_dir}: {error.strerror or error}"
    console.print(f"[bold red]irisgate cannot start[/]: {problem}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


@contextlib.contextmanager
def metrics_dir(workers: int) -> Iterator[None]:
    """With several workers, a folder of their own (outside the app dir) where each shares its
    metrics, so that /metrics adds them up (``server/metrics.py``); removed when serving ends."""
    if workers == 1:
        yield
        return
    from irisgate.server.metrics import DIR_ENV

    folder = tempfile.mkdtemp(prefix="irisgate-metrics-")
    os.environ[DIR_ENV] = folder
    try:
        yield
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@config_app.command("check")
def config_check(path: Annotated[Path, typer.Argument(help="The config file to validate.")]) -> None:
    """Validate a config file (env references included) and show what it configures, secrets redacted.

    Exits 2 with the error, naming the field, when the file is not valid (an unknown field included).
    """
    config = load_or_exit(path)
    out = Console(width=None if sys.stdout.isatty() else 200)
    providers = Table(
        "provider", "base URL", "timeout", "retries", "proxy", "TLS", "max conns/host", title="Providers"
    )
    keys = Table("provider", "key", "secret", "models", "weight", "enabled", title="Keys")
    for provider in config.providers.values():
        network = provider.network
        backoff = f"{network.retry_backoff_initial:g}-{network.retry_backoff_max:g} s"
        providers.add_row(
            provider.name,
            network.base_url,
            f"{network.timeout_seconds:g} s",
            f"{network.max_retries} (backoff {backoff})",
            network.proxy.display,
            tls_summary(network),
            str(network.max_conns_per_host),
        )
        for key in provider.keys:
            keys.add_row(
                provider.name,
                key.name,
                f"env.{key.env_var}" if key.env_var else redact_secret(key.secret),
                ", ".join(key.models),
                f"{key.weight:g}",
                "yes" if key.enabled else "no",
            )
    out.print(providers)
    out.print(keys)
    out.print(
        f"limits: request bodies up to {config.max_body_mb:g} MiB, "
        f"provider API answers up to {config.max_upstream_body_mb:g} MiB",
        highlight=False,
    )
    out.print(f"media: {config.media.display()}", highlight=False)
    console.print(f"[green]{escape(str(path))} is valid[/]: {len(config.providers)} provider(s)")


def tls_summary(network: NetworkConfig) -> str:
    if network.insecure_skip_verify:
        return "certificates NOT verified (insecure_skip_verify)"
    if network.ca_cert_ref is None:
        return "system CAs"
    source = network.ca_cert_ref if env_var_of(network.ca_cert_ref) else "PEM in the file"
    return f"system CAs + ca_cert_pem ({source})"


@app.command()
def version() -> None:
    """Print the irisgate version."""
    print(__version__)


@app.command()
def simulate(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[
        list[str],
        typer.Option("--port", help="NAME=PORT: serve NAME's simulator on PORT (0: any free port)."),
    ] = [],  # noqa: B006 (typer reads the default)
    key: Annotated[
        list[str],
        typer.Option("--key", help="NAME=KEY: a key NAME's simulator accepts (repeat for several)."),
    ] = [],  # noqa: B006
) -> None:
    """Run faithful offline simulators of every provider's API until Ctrl-C (each on its own port,
    accepting its test key, unless --port and --key say otherwise)."""
    from irisgate.providers.catalog import PROVIDERS
    from irisgate.simulators import serve_forever

    simulated = {name: d for name, d in PROVIDERS.items() if d.simulator is not None}
    ports = {name: int(value) for name, value in assignments(port, "--port", simulated, numeric=True)}
    keys: dict[str, set[str]] = {}
    for name, value in assignments(key, "--key", simulated):
        keys.setdefault(name, set()).add(value)
    apps, notes = {}, {}
    for name, descriptor in simulated.items():
        spec = descriptor.simulator
        assert spec is not None
        accepted = keys.get(name) or {spec.key}
        apps[name] = (descriptor.simulator_app(accepted), ports.get(name, spec.port))
        notes[name] = spec.note.replace("<key>", ", ".join(sorted(accepted)))
    serve_forever(apps, host=host, notes=notes)


def assignments(
    values: list[str], option: str, names: dict[str, object], numeric: bool = False
) -> list[tuple[str, str]]:
    """``NAME=VALUE`` options, each NAME a provider with a simulator; a bad one stops with exit 2."""
    found = []
    for value in values:
        name, equals, setting = value.partition("=")
        if not equals or name not in names or not setting or (numeric and not setting.isdecimal()):
            what = "PORT" if numeric else "KEY"
            raise typer.BadParameter(
                f"expected NAME={what} with NAME one of {', '.join(names)}", param_hint=option
            )
        found.append((name, setting))
    return found
