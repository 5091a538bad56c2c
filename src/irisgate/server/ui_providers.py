"""Models > Model Providers: the configured providers, adding one, a provider's page and network config.

Every form works as a plain POST (Post/Redirect/Get; errors re-render the page beside the field) and,
with htmx, in place (the network form swaps itself). Errors come from `AdminService`:
`GatewayError.param` names the field. The keys of a provider are `ui_keys`'.
"""

from __future__ import annotations

import math
import re
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from irisgate.admin.service import AdminService
from irisgate.providers.catalog import PROVIDERS
from irisgate.providers.descriptor import ProviderDescriptor
from irisgate.schemas.errors import GatewayError
from irisgate.server.ui import checked_form, is_htmx, page, render, see_other

NETWORK_FIELDS = (
    "base_url",
    "default_request_timeout_in_seconds",
    "max_retries",
    "retry_backoff_initial",
    "retry_backoff_max",
)
NOTICES = {"network": "Network configuration saved.", "key": "Key saved.", "deleted": "Key deleted."}
DECIMAL = re.compile(r"-?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
FORM_ERROR_STATUS = 422  # what htmx swaps in (see the htmx-config meta in base.html)


def admin(request: Request) -> AdminService:
    return request.app.state.gateway.admin


def field_of(param: str | None, prefix: str = "") -> str:
    """`network_config.base_url` → `base_url`; `models[2]` → `models`; None → the form as a whole."""
    if not param:
        return "_form"
    name = param.removeprefix(prefix)
    return re.split(r"[.\[]", name, maxsplit=1)[0] or "_form"


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


# -- the providers list ----------------------------------------------------------------------------


@page
async def providers_page(request: Request) -> Response:
    return await render_providers(request)


def offer(descriptor: ProviderDescriptor) -> str:
    """What a provider offers, in a line: its kinds of media and a few of its models."""
    kinds = [
        kind
        for kind, models in (("Images", descriptor.image_models), ("video", descriptor.video_models))
        if models
    ]
    examples = ", ".join(descriptor.models[:3])
    return " and ".join(kinds).capitalize() + (f": {examples}, …" if examples else "")


async def render_providers(request: Request, error: GatewayError | None = None) -> Response:
    configured = await admin(request).list_providers()
    names = {p["name"] for p in configured}
    available = [(d.name, d.label, offer(d)) for d in PROVIDERS.values() if d.name not in names]
    return render(
        request,
        "providers.html",
        {"section": "providers", "providers": configured, "available": available, "error": error},
        status=error.status if error else 200,
    )


@page
async def add_provider(request: Request) -> Response:
    form = await checked_form(request)
    name = text(form, "provider")
    try:
        await admin(request).create_provider({"provider": name})
    except GatewayError as error:
        return await render_providers(request, error)
    return see_other(f"/providers/{name}")


# -- one provider ----------------------------------------------------------------------------------


@page
async def provider_page(request: Request) -> Response:
    name = request.path_params["name"]
    notice = NOTICES.get(request.query_params.get("saved", ""))
    return await render_provider(request, name, notice=notice)


async def render_provider(
    request: Request,
    name: str,
    *,
    notice: str | None = None,
    network_form: dict[str, Any] | None = None,
    network_errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    provider = await admin(request).get_provider(name)
    context = {
        "section": "providers",
        "provider": provider,
        "notice": notice,
        "network": network_form or network_values(provider["network_config"]),
        "network_errors": network_errors or {},
        "network_notice": None,
    }
    return render(request, "provider.html", context, status=status)


def network_values(config: dict[str, Any]) -> dict[str, Any]:
    return {field: config.get(field, "") for field in NETWORK_FIELDS}


@page
async def save_network(request: Request) -> Response:
    name = request.path_params["name"]
    form = await checked_form(request)
    service = admin(request)
    current = (await service.get_provider(name))["network_config"]
    values = {field: text(form, field) for field in NETWORK_FIELDS}
    body = {  # what the form does not show (headers, proxy, TLS, connection limit) is kept
        **{field: value for field, value in current.items() if field not in NETWORK_FIELDS},
        **{field: _number_or_text(value) for field, value in values.items() if value},
    }
    try:
        provider = await service.update_provider(name, {"network_config": body})
    except GatewayError as error:
        errors = {field_of(error.param, "network_config."): error.message}
        if is_htmx(request):
            provider = await service.get_provider(name)
            context = {"provider": provider, "network": values, "network_errors": errors}
            return render(request, "_network_form.html", context, status=FORM_ERROR_STATUS)
        return await render_provider(
            request, name, network_form=values, network_errors=errors, status=error.status
        )
    if is_htmx(request):
        context = {
            "provider": provider,
            "network": network_values(provider["network_config"]),
            "network_errors": {},
            "network_notice": NOTICES["network"],
        }
        return render(request, "_network_form.html", context)
    return see_other(f"/providers/{name}?saved=network")


def _number_or_text(value: str) -> Any:
    """Numbers as numbers (the parser wants them typed); anything else as typed, e.g. '500ms'. ASCII
    digits only: `\\d` and float() would also read full-width ones."""
    if re.fullmatch(r"[0-9]+", value):
        return int(value)
    if not DECIMAL.fullmatch(value):
        return value
    number = float(value)
    return number if math.isfinite(number) else value


@page
async def delete_provider(request: Request) -> Response:
    await checked_form(request)
    await admin(request).delete_provider(request.path_params["name"])
    return see_other("/providers")


routes = [
    Route("/providers", providers_page, methods=["GET"]),
    Route("/providers", add_provider, methods=["POST"]),
    Route("/providers/{name}", provider_page, methods=["GET"]),
    Route("/providers/{name}/network", save_network, methods=["POST"]),
    Route("/providers/{name}/delete", delete_provider, methods=["POST"]),
]
