"""Who may use `/api` and the dashboard: the admin token (Bearer) or a signed session cookie.

A session cookie counts only if its signature checks out and it was not signed out: sign-out records
the session's nonce in the store (`revoked_sessions`), read here for every cookie, so a signed-out
cookie is refused by every worker and instance. With a session, every request that changes something
must carry its CSRF token (`X-CSRF-Token` header or `csrf_token` form field). Failures are 401 (not
signed in) or 403 (bad CSRF token), in the usual error shape; wrong admin tokens are slowed per client
address (`admin/throttle.py`: 429 `too_many_attempts` with `Retry-After`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from irisgate.admin.auth import CSRF_HEADER, SESSION_COOKIE, AdminAuth, Session
from irisgate.admin.clients import Client
from irisgate.admin.throttle import AuthThrottle
from irisgate.schemas.errors import GatewayError
from irisgate.server.responses import error_response

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
_NO_SESSION = Session("", 0)  # what `session_of` remembers of a request without a live session


@dataclass(frozen=True)
class Principal:
    via: str  # "token" | "session"
    session_nonce: str | None = None


def auth_of(request: Request) -> AdminAuth:
    return request.app.state.gateway.admin_auth


def throttle_of(request: Request) -> AuthThrottle:
    return request.app.state.gateway.auth_throttle


def client_address(request: Request) -> str:
    """The address failures are counted against: the peer, or the client a trusted proxy names
    (uvicorn's `--forwarded-allow-ips`)."""
    return request.client.host if request.client else "unknown"


async def live_session(request: Request) -> Session | None:
    """The request's session if its cookie is genuine, unexpired and not signed out. The store is
    asked once per request (a page and its form check share the answer); a store that cannot be
    read raises `StoreUnavailable` (503): a session that may have been signed out is not accepted."""
    known = getattr(request.state, "irisgate_session", None)
    if known is None:
        session = auth_of(request).session(request.cookies.get(SESSION_COOKIE))
        if session is not None and await request.app.state.gateway.store.session_revoked(session.nonce):
            session = None
        known = request.state.irisgate_session = session or _NO_SESSION
    return None if known is _NO_SESSION else known


async def session_of(request: Request) -> str | None:
    """The nonce of the request's live session, if it has one."""
    session = await live_session(request)
    return session.nonce if session else None


async def authenticate(request: Request, form_csrf: str | None = None) -> Principal:
    auth = auth_of(request)
    authorization = request.headers.get("authorization")
    throttle, address = throttle_of(request), client_address(request)
    if authorization:  # an admin token attempt: refused unchecked while its address must wait
        throttle.check(address)
        if auth.bearer_ok(authorization):
            throttle.succeeded(address)
            return Principal("token")
    nonce = await session_of(request)
    if nonce is None:
        if authorization:
            throttle.failed(address)
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
            await authenticate(request)
            return await handler(request)
        except GatewayError as error:
            return error_response(error)

    endpoint.__name__ = handler.__name__
    return endpoint


async def v1_client(request: Request) -> Client | None:
    """Who calls /v1: a virtual key's client, or None for the admin (admin token, or the dashboard's
    session with its CSRF token on changes) and for everyone while no virtual key exists."""
    gateway = request.app.state.gateway
    if not gateway.clients.required:
        return None  # no virtual key exists: /v1 is open, admin or not
    authorization = request.headers.get("authorization")
    if not authorization:
        if SESSION_COOKIE in request.cookies and await session_of(request) is not None:
            await authenticate(request)  # the dashboard's session: CSRF-checked like /api
            return None
        return gateway.clients.authenticate(authorization)
    # A bearer may be the admin token too: wrong ones are slowed here as on /api, or /v1 would be
    # the place to guess a hand-chosen admin token.
    throttle, address = throttle_of(request), client_address(request)
    throttle.check(address)
    if auth_of(request).bearer_ok(authorization):
        throttle.succeeded(address)
        return None
    try:
        client = gateway.clients.authenticate(authorization)
    except GatewayError as error:
        if error.status == 401:
            throttle.failed(address)
        raise
    throttle.succeeded(address)
    return client
