"""The web dashboard's shell: Jinja2 rendering, sign-in with the admin token, the page guard, static files.

Pages live in `ui_providers`, `ui_keys`, `ui_videos`, `ui_logs`, `ui_playground` (listed in `ui_site`).
Each uses `page` (a live session cookie, else a 303 to `/login?next=…`) and, for a POST, `checked_form`
(the session's CSRF token, from the form field or htmx's `X-CSRF-Token` header). Signing out revokes the
session in the store, so its cookie is refused everywhere afterwards; failed sign-ins are slowed per
client address (`admin/throttle.py`).
Templates are autoescaped; they only ever see the redacted views of keys (`irisgate.admin.views`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from irisgate.admin.auth import SESSION_COOKIE, SESSION_SECONDS
from irisgate.admin.throttle import TooManyAttempts
from irisgate.schemas.errors import GatewayError
from irisgate.server.admin_guard import (
    auth_of,
    authenticate,
    client_address,
    live_session,
    session_of,
    throttle_of,
)

if TYPE_CHECKING:
    from jinja2 import Environment

UI_DIR = Path(__file__).resolve().parent.parent / "ui"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
# Scripts and styles only from our own files (no inline script); images may come from a provider's
# CDN (generated images are URLs) or be data: URIs (b64_json); videos are served by the gateway.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: http: https:; "
    "media-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
PAGE_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}

Handler = Callable[[Request], Awaitable[Response]]


# -- rendering -------------------------------------------------------------------------------------


def _when(value: Any) -> str:
    """A timestamp (datetime, ISO text or epoch seconds) as 'YYYY-MM-DD HH:MM:SS' UTC."""
    if value in (None, ""):
        return "—"
    if isinstance(value, int | float):
        value = datetime.fromtimestamp(value, UTC)
    elif isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M:%S")


def _cost(value: float | None) -> str:
    if value is None:
        return "—"
    return f"${value:.4f}".rstrip("0").rstrip(".") if value else "$0"


def _millis(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    if value >= 1000:
        return f"{value / 1000:.2f} s"
    return f"{value:.1f} ms" if value < 10 else f"{value:.0f} ms"


def plain_number(value: Any) -> str:
    """1.0 → '1', 0.5 → '0.5'; anything else as text."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


@functools.cache
def templates() -> Environment:
    """The Jinja environment, built on the first page: an API-only worker never loads Jinja."""
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(UI_DIR / "templates"),
        autoescape=True,  # every template, whatever its name: values are escaped unless marked safe
        auto_reload=False,  # read once: no look at the files (a stat on the event loop) at every page
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(when=_when, cost=_cost, millis=_millis, num=plain_number)
    return environment


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    values = {
        "request": request,
        "path": request.url.path,
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "signed_in": bool(getattr(request.state, "csrf_token", "")),
        "section": "",
        **(context or {}),
    }
    html = templates().get_template(template).render(values)
    return HTMLResponse(html, status, headers={**PAGE_HEADERS, **(headers or {})})


def is_htmx(request: Request) -> bool:
    """An htmx fragment request (a history restore wants the whole page)."""
    headers = request.headers
    return headers.get("hx-request") == "true" and headers.get("hx-history-restore-request") != "true"


def error_page(request: Request, error: GatewayError) -> HTMLResponse:
    return render(request, "error.html", {"error": error}, status=error.status)


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# -- the page guard --------------------------------------------------------------------------------


def login_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/login?next=" + quote(target, safe="/")


def page(handler: Handler) -> Handler:
    """Serve `handler` to a signed-in browser; others go to the login form (303)."""

    async def endpoint(request: Request) -> Response:
        try:
            nonce = await session_of(request)
        except GatewayError as error:  # the store cannot say whether the session was signed out
            return error_page(request, error)
        if nonce is None:
            if is_htmx(request):  # a fragment request: make htmx load the login page itself
                return Response(status_code=401, headers={"hx-redirect": login_url(request)})
            return see_other(login_url(request))
        request.state.csrf_token = auth_of(request).csrf_token(nonce)
        try:
            return await handler(request)
        except GatewayError as error:
            return error_page(request, error)

    endpoint.__name__ = handler.__name__
    return endpoint


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF token (field `csrf_token` or header `X-CSRF-Token`) checks out."""
    form = await request.form()
    token = form.get("csrf_token")
    await authenticate(request, form_csrf=token if isinstance(token, str) else None)
    return form


# -- sign in and out -------------------------------------------------------------------------------


def safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no `//host`): the login form must not be an open redirect."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")) or "\n" in target:
        return "/"
    return target


def cookie_is_secure(request: Request) -> bool:
    """`Secure` on https, and on loopback hosts too: browsers treat http://127.0.0.1, localhost and
    [::1] as secure contexts and keep Secure cookies there, so a local `irisgate serve` gets the flag
    for free. On any other plain-http host the browser would drop a Secure cookie and nobody could
    sign in, so there the flag is left off (serve the dashboard over TLS beyond loopback)."""
    return request.url.scheme == "https" or (request.url.hostname or "") in LOOPBACK_HOSTS


def signed_in_redirect(request: Request, target: str) -> Response:
    response = see_other(safe_next(target))
    # The token may be in this URL's query: let only the origin be told. (Not no-referrer: a form
    # posted from a no-referrer page says `Origin: null`, which local_guard.py refuses.)
    response.headers["referrer-policy"] = "strict-origin"
    response.headers["cache-control"] = "no-store"
    response.set_cookie(
        SESSION_COOKIE,
        auth_of(request).new_session(),
        max_age=SESSION_SECONDS,
        path="/",
        secure=cookie_is_secure(request),
        httponly=True,
        samesite="strict",
    )
    return response


def login_form(
    request: Request,
    target: str,
    error: str | None = None,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    return render(
        request,
        "login.html",
        {"next": safe_next(target), "error": error},
        status=status,
        headers={"referrer-policy": "strict-origin", **(headers or {})},  # as signed_in_redirect
    )


def try_token(request: Request, target: str, token: str) -> Response:
    """Sign in with `token`, unless this address must wait after failed tries (then the token is not
    even compared: 429 with `Retry-After`); a wrong token counts against the address."""
    throttle, address = throttle_of(request), client_address(request)
    try:
        throttle.check(address)
    except TooManyAttempts as waiting:
        message = f"Too many failed sign-ins from your address. Wait {waiting.wait} s, then try again."
        return login_form(request, target, message, 429, waiting.headers)
    if not auth_of(request).token_ok(token.strip()):
        throttle.failed(address)
        return login_form(request, target, "That admin token is not valid.", 401)
    throttle.succeeded(address)
    return signed_in_redirect(request, target)


async def login(request: Request) -> Response:
    """GET: the form, or (with `?token=`, the URL `irisgate serve` prints) sign in and leave the URL."""
    target = request.query_params.get("next") or "/"
    token = request.query_params.get("token")
    if token is not None:
        return try_token(request, target, token)
    try:
        if await session_of(request) is not None:
            return see_other(safe_next(target))
    except GatewayError:
        pass  # the store cannot say whether the session was signed out: offer the form
    return login_form(request, target)


async def login_submit(request: Request) -> Response:
    form = await request.form()
    token, target = form.get("token"), form.get("next")
    target = target if isinstance(target, str) else "/"
    if not isinstance(token, str) or not token.strip():
        return login_form(request, target, "Enter the admin token.", 401)
    return try_token(request, target, token)


@page
async def logout(request: Request) -> Response:
    """End the session here and on every instance: its nonce is revoked in the store until the cookie
    would have expired. If the store cannot record it, the 503 page says so and the session lives on."""
    await checked_form(request)
    session = await live_session(request)
    if session is None:  # `page` let it in, so this does not happen; but never revoke nothing
        return see_other("/login")
    expires_at = datetime.fromtimestamp(session.expires, UTC)
    await request.app.state.gateway.store.revoke_session(session.nonce, expires_at)
    response = see_other("/login")
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=cookie_is_secure(request), httponly=True, samesite="strict"
    )
    return response


async def home(request: Request) -> Response:
    return see_other("/providers")


routes: list[BaseRoute] = [
    Route("/", home, methods=["GET"]),
    Route("/login", login, methods=["GET"]),
    Route("/login", login_submit, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Mount("/static", app=StaticFiles(directory=UI_DIR / "static"), name="static"),
]
