"""The keys of a provider: Add Key, edit, delete.

Each form works as a plain POST (Post/Redirect/Get; errors re-render the form beside the field) and,
with htmx, in place: the form opens inside the keys section, and a save swaps the keys table (and the
provider's status badge). Errors come from `AdminService` (`GatewayError.param` names the field) plus
a first pass here, so that every wrong field is reported at once. A literal secret typed into the
form is never sent back to the browser.
"""

from __future__ import annotations

import math
import re
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from irisgate.config.secrets import env_var_of
from irisgate.providers.catalog import PROVIDERS
from irisgate.schemas.errors import GatewayError
from irisgate.server.ui import checked_form, is_htmx, page, plain_number, render, see_other
from irisgate.server.ui_providers import FORM_ERROR_STATUS, NOTICES, admin, field_of, text

NAME_REQUIRED = "'name' is required: a name for this key, unique within the provider"
VALUE_REQUIRED = "'value' is required: the API key, or env.NAME to read it from the environment"
WEIGHT_RULE = "must be a number greater than 0 (and at most 1000)"


def key_form_context(
    provider: dict[str, Any],
    key: dict[str, Any] | None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    *,
    inline: bool,
) -> dict[str, Any]:
    """What `_key_form.html` needs. `values` are what the user typed (never a literal secret)."""
    if values is None:
        values = {
            "name": key["name"] if key else "",
            "value": key["value"] if key and key["value_kind"] == "env" else "",
            "models_mode": "all" if key is None or key["all_models"] else "specific",
            "models": "" if key is None or key["all_models"] else ", ".join(key["models"]),
            "weight": plain_number(key["weight"]) if key else "1",
            "enabled": key["enabled"] if key else True,
        }
    base = f"/providers/{provider['name']}/keys"
    return {
        "provider": provider,
        "key": key,
        "form": values,
        "errors": errors or {},
        "inline": inline,
        "action": f"{base}/{key['id']}" if key else base,
        # Allowed Models suggestions: any model id is accepted, these only fill the datalist
        "suggestions": PROVIDERS[provider["name"]].models if provider["name"] in PROVIDERS else (),
    }


def key_body(form: FormData, *, creating: bool) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """The admin-API body of the key form, the values to show again, and the errors found up front."""
    errors: dict[str, str] = {}
    name, value = text(form, "name"), text(form, "value")
    mode = "specific" if text(form, "models_mode") == "specific" else "all"
    models_text = text(form, "models")
    weight_text = text(form, "weight") or "1"
    enabled = text(form, "enabled") in ("on", "true", "1")
    if not name:
        errors["name"] = NAME_REQUIRED
    if creating and not value:
        errors["value"] = VALUE_REQUIRED
    models = ["*"]
    if mode == "specific":
        models = [m.strip() for m in re.split(r"[,\n]", models_text) if m.strip()]
    if not models:
        errors["models"] = "List at least one model, or choose All Models"
    try:
        weight: Any = float(weight_text)
        if not math.isfinite(weight) or not 0 < weight <= 1000:
            errors["weight"] = WEIGHT_RULE
    except ValueError:
        weight = weight_text
        errors["weight"] = WEIGHT_RULE
    body: dict[str, Any] = {"name": name, "models": models, "weight": weight, "enabled": enabled}
    if value:
        body["value"] = value
    shown = {
        "name": name,
        "value": value if env_var_of(value) else "",  # a literal secret is not sent back to the browser
        "models_mode": mode,
        "models": models_text,
        "weight": weight_text,
        "enabled": enabled,
    }
    return body, shown, errors


def render_keys(request: Request, provider: dict[str, Any], notice: str | None = None) -> Response:
    context = {"provider": provider, "notice": notice, "oob_status": True}  # the header's badge too
    return render(request, "_keys.html", context)


@page
async def new_key(request: Request) -> Response:
    provider = await admin(request).get_provider(request.path_params["name"])
    return render_key_form(request, key_form_context(provider, None, inline=is_htmx(request)))


@page
async def edit_key(request: Request) -> Response:
    params = request.path_params
    provider = await admin(request).get_provider(params["name"])
    key = await admin(request).get_key(params["name"], params["key_id"])
    return render_key_form(request, key_form_context(provider, key, inline=is_htmx(request)))


def render_key_form(request: Request, context: dict[str, Any], status: int = 200) -> Response:
    template = "_key_form.html" if context["inline"] else "key_form.html"
    return render(request, template, {"section": "providers", **context}, status=status)


@page
async def save_key(request: Request) -> Response:
    """Create (no key id in the path) or update a key."""
    name, key_id = request.path_params["name"], request.path_params.get("key_id")
    form = await checked_form(request)
    service = admin(request)
    provider = await service.get_provider(name)
    key = await service.get_key(name, key_id) if key_id else None
    body, shown, errors = key_body(form, creating=key is None)
    status = 400
    if not errors:
        try:
            if key is None:
                await service.create_key(name, body)
            else:
                await service.update_key(name, key_id or "", body)
        except GatewayError as error:
            errors = {field_of(error.param): error.message}
            status = error.status
    inline = is_htmx(request)
    if errors:
        context = key_form_context(provider, key, shown, errors, inline=inline)
        return render_key_form(request, context, FORM_ERROR_STATUS if inline else status)
    if inline:
        response = render_keys(request, await service.get_provider(name), NOTICES["key"])
        response.headers.update({"hx-retarget": "#keys-section", "hx-reswap": "outerHTML"})
        return response
    return see_other(f"/providers/{name}?saved=key")


@page
async def delete_key(request: Request) -> Response:
    name, key_id = request.path_params["name"], request.path_params["key_id"]
    await checked_form(request)
    await admin(request).delete_key(name, key_id)
    if is_htmx(request):
        return render_keys(request, await admin(request).get_provider(name), NOTICES["deleted"])
    return see_other(f"/providers/{name}?saved=deleted")


routes = [
    Route("/providers/{name}/keys/new", new_key, methods=["GET"]),
    Route("/providers/{name}/keys", save_key, methods=["POST"]),
    Route("/providers/{name}/keys/{key_id}/edit", edit_key, methods=["GET"]),
    Route("/providers/{name}/keys/{key_id}", save_key, methods=["POST"]),
    Route("/providers/{name}/keys/{key_id}/delete", delete_key, methods=["POST"]),
]
