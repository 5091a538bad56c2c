"""Who may use `/api` and the dashboard: the admin token (Bearer) or a signed session cookie.

With a session, every request that changes something must carry its CSRF token
(`X-CSRF-Token` header or `csrf_token` form field). Failures are 401 (not signed in)
or 403 (bad CSRF token), in the usual error shape.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from irisgate.admin.auth import CSRF_HEADER, SESSION_COOKIE, AdminAuth
from irisgate.clients import Client
from irisgate.schemas.errors import GatewayError
from irisgate.server.responses import error_response

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class Principal:
    via: str  # "token" | "session"
    session_nonce: str | None = None


def auth_of(request: Request) -> AdminAuth:
    return request.app.state.gateway.admin_auth


def session_of(request: Request) -> str | None:
    return auth_of(request).session_nonce(request.cookies.get(SESSION_COOKIE))


def authenticate(request: Request, form_csrf: str | None = None) -> Principal:
    auth = auth_of(request)
    if auth.bearer_ok(request.headers.get("authorization")):
        return Principal("token")
    nonce = session_of(request)
    if nonce is None:
        raise GatewayError(
            401,
            "Admin authentication required: send Authorization: Bearer <admin token>, or sign in at /login",
            code="unauthorized",
            error_type="authentication_error",
            headers={"www-authenticate": 'Bearer realm="irisgate admin"'},
        )
    if request.method not in SAFE_METHODS and not auth.csrf_ok(
        nonce, request.headers.get(CSRF_HEADER) or form_csrf
    ):
        raise GatewayError(403, "Missing or invalid CSRF token", code="csrf_failed")
    return Principal("session", nonce)


def admin_only(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            authenticate(request)
            return await handler(request)
        except GatewayError as error:
            return error_response(error)

    endpoint.__name__ = handler.__name__
    return endpoint


def v1_client(request: Request) -> Client | None:
    """Who calls /v1: a virtual key's client, or None for the admin (admin token, or the dashboard's
    session with its CSRF token on changes) and for everyone while no virtual key exists."""
    gateway = request.app.state.gateway
    if not gateway.clients.required:
        return None  # no virtual key exists: /v1 is open, admin or not
    authorization = request.headers.get("authorization")
    if auth_of(request).bearer_ok(authorization):
        return None
    if gateway.clients.required and not authorization and session_of(request) is not None:
        authenticate(request)  # the dashboard's session: CSRF-checked like /api
        return None
    return gateway.clients.authenticate(authorization)
