"""Access > API Keys: the virtual keys clients send to /v1 (create, edit, disable/enable, delete).

Forms work as plain POSTs (Post/Redirect/Get; errors re-render the page beside the field) and, with
htmx, in place: the create/edit form lives in `#vk-form-slot`, and every change swaps `#virtual-keys`
(the access banner, the table, the form). The one exception to Post/Redirect/Get is a successful
create: the full key exists only in that POST's response (the htmx fragment, or without JS the page
itself), never in a URL, a cookie or a log, so reloading the page cannot show it again.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from irisgate.admin.virtual_keys import MAX_RPM, VirtualKeys
from irisgate.providers.catalog import PROVIDERS, labels
from irisgate.schemas.errors import GatewayError
from irisgate.server.ui import checked_form, is_htmx, page, render, see_other
from irisgate.server.ui_providers import FORM_ERROR_STATUS, field_of, text

NAME_REQUIRED = "'name' is required: a name for this key, e.g. the app or person that uses it"
PROVIDERS_REQUIRED = "Tick at least one provider, or choose All providers"
MODELS_REQUIRED = "List at least one model, or choose All models"
MODEL_RULE = "'{}' must be 'provider/model' or 'provider/*', e.g. runware/runware:100@1"
RPM_RULE = f"must be a whole number from 1 to {MAX_RPM}, or empty for no limit"
NOTICES = {
    "key": "API key saved.",
    "enabled": "API key enabled.",
    "disabled": "API key disabled.",
    "deleted": "API key deleted.",
}
# Allowed Models suggestions: the provider pages' lists, as provider/model, plus provider/*.
SUGGESTIONS = [
    *(f"{name}/*" for name in PROVIDERS),
    *(f"{name}/{model}" for name, descriptor in PROVIDERS.items() for model in descriptor.models),
]


def service(request: Request) -> VirtualKeys:
    return request.app.state.gateway.virtual_keys


def truthy(form: FormData, name: str) -> bool:
    return text(form, name) in ("on", "true", "1")


# -- the form --------------------------------------------------------------------------------------


def form_values(key: dict[str, Any] | None) -> dict[str, Any]:
    """The form's fields for a new key (defaults) or an existing one."""
    if key is None:
        return {
            "name": "",
            "providers_mode": "all",
            "allowed_providers": [],
            "models_mode": "all",
            "allowed_models": "",
            "rpm_limit": "",
            "enabled": True,
        }
    providers, models = key["allowed_providers"], key["allowed_models"]
    return {
        "name": key["name"],
        "providers_mode": "all" if "*" in providers else "specific",
        "allowed_providers": [] if "*" in providers else providers,
        "models_mode": "all" if "*" in models else "specific",
        "allowed_models": "" if "*" in models else ", ".join(models),
        "rpm_limit": "" if key["rpm_limit"] is None else str(key["rpm_limit"]),
        "enabled": key["enabled"],
    }


def form_context(
    key: dict[str, Any] | None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    """What `_virtual_key_form.html` needs (the form posts with htmx, or plainly without JS)."""
    return {
        "key": key,
        "form": values or form_values(key),
        "errors": errors or {},
        "action": f"/virtual-keys/{key['id']}" if key else "/virtual-keys",
        "providers": labels(),
        "suggestions": SUGGESTIONS,
    }


def key_body(form: FormData) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """The service's body for the form, the values to show again, and the errors found up front."""
    errors: dict[str, str] = {}
    name = text(form, "name")
    providers_mode = "specific" if text(form, "providers_mode") == "specific" else "all"
    providers = [p for p in form.getlist("allowed_providers") if isinstance(p, str) and p]
    models_mode = "specific" if text(form, "models_mode") == "specific" else "all"
    models_text = text(form, "allowed_models")
    rpm_text = text(form, "rpm_limit")
    enabled = truthy(form, "enabled")
    if not name:
        errors["name"] = NAME_REQUIRED
    allowed_providers = ["*"]
    if providers_mode == "specific":
        allowed_providers = list(dict.fromkeys(providers))
        if not allowed_providers:
            errors["allowed_providers"] = PROVIDERS_REQUIRED
    allowed_models = ["*"]
    if models_mode == "specific":
        allowed_models = [m.strip() for m in re.split(r"[,\n]", models_text) if m.strip()]
        wrong = next((m for m in allowed_models if m != "*" and "/" not in m), None)
        if not allowed_models:
            errors["allowed_models"] = MODELS_REQUIRED
        elif wrong:
            errors["allowed_models"] = MODEL_RULE.format(wrong)
    rpm_limit: int | None = None
    if rpm_text:
        if re.fullmatch(r"[0-9]+", rpm_text) and 1 <= int(rpm_text) <= MAX_RPM:  # ASCII digits only
            rpm_limit = int(rpm_text)
        else:
            errors["rpm_limit"] = RPM_RULE
    body = {
        "name": name,
        "allowed_providers": allowed_providers,
        "allowed_models": allowed_models,
        "rpm_limit": rpm_limit,
        "enabled": enabled,
    }
    shown = {
        "name": name,
        "providers_mode": providers_mode,
        "allowed_providers": providers,
        "models_mode": models_mode,
        "allowed_models": models_text,
        "rpm_limit": rpm_text,
        "enabled": enabled,
    }
    return body, shown, errors


# -- rendering -------------------------------------------------------------------------------------


async def render_keys(
    request: Request,
    *,
    fragment: bool,
    notice: str | None = None,
    created: dict[str, Any] | None = None,
    editor: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    """The page (or, for htmx, its `#virtual-keys` fragment): banner, table, one-time key box, and the
    form (`editor`: a key being edited, or what was typed; by default an empty create form)."""
    context = {
        "section": "virtual-keys",
        "keys": await service(request).list(),
        "provider_names": labels(),
        "notice": notice,
        "created": created,
        **(editor or form_context(None)),
    }
    template = "_virtual_keys.html" if fragment else "virtual_keys.html"
    return render(request, template, context, status=status)


@page
async def keys_page(request: Request) -> Response:
    notice = NOTICES.get(request.query_params.get("saved", ""))
    return await render_keys(request, fragment=False, notice=notice)


@page
async def new_key(request: Request) -> Response:
    if is_htmx(request):
        return render(request, "_virtual_key_form.html", form_context(None))
    return see_other("/virtual-keys")


@page
async def edit_key(request: Request) -> Response:
    key = await service(request).get(request.path_params["key_id"])
    if is_htmx(request):
        return render(request, "_virtual_key_form.html", form_context(key))
    return await render_keys(request, fragment=False, editor=form_context(key))


# -- changes ---------------------------------------------------------------------------------------


@page
async def save_key(request: Request) -> Response:
    """Create (no key id in the path) or update a key."""
    key_id = request.path_params.get("key_id")
    form = await checked_form(request)
    keys = service(request)
    key = await keys.get(key_id) if key_id else None
    body, shown, errors = key_body(form)
    status, created = 400, None
    if not errors:
        try:
            if key is None:
                created = await keys.create(body)
            else:
                await keys.update(key["id"], body)
        except GatewayError as error:
            errors = {field_of(error.param): error.message}
            status = error.status
    inline = is_htmx(request)
    if errors:
        context = form_context(key, shown, errors)
        if inline:
            return render(request, "_virtual_key_form.html", context, status=FORM_ERROR_STATUS)
        return await render_keys(request, fragment=False, editor=context, status=status)
    if created is not None:
        # The full key: in this response only (no redirect, so it is never in a URL or a later page).
        notice = f"API key “{created['name']}” created."
        response = await render_keys(request, fragment=inline, notice=notice, created=created)
    elif inline:
        response = await render_keys(request, fragment=True, notice=NOTICES["key"])
    else:
        return see_other("/virtual-keys?saved=key")
    if inline:
        response.headers.update({"hx-retarget": "#virtual-keys", "hx-reswap": "outerHTML"})
    return response


@page
async def set_enabled(request: Request) -> Response:
    form = await checked_form(request)
    enabled = truthy(form, "enabled")
    await service(request).update(request.path_params["key_id"], {"enabled": enabled})
    saved = "enabled" if enabled else "disabled"
    if is_htmx(request):
        return await render_keys(request, fragment=True, notice=NOTICES[saved])
    return see_other(f"/virtual-keys?saved={saved}")


@page
async def delete_key(request: Request) -> Response:
    await checked_form(request)
    await service(request).delete(request.path_params["key_id"])
    if is_htmx(request):
        return await render_keys(request, fragment=True, notice=NOTICES["deleted"])
    return see_other("/virtual-keys?saved=deleted")


routes = [
    Route("/virtual-keys", keys_page, methods=["GET"]),
    Route("/virtual-keys", save_key, methods=["POST"]),
    Route("/virtual-keys/new", new_key, methods=["GET"]),
    Route("/virtual-keys/{key_id}/edit", edit_key, methods=["GET"]),
    Route("/virtual-keys/{key_id}", save_key, methods=["POST"]),
    Route("/virtual-keys/{key_id}/enabled", set_enabled, methods=["POST"]),
    Route("/virtual-keys/{key_id}/delete", delete_key, methods=["POST"]),
]
