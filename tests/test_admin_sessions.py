"""Admin sessions and tokens through the real HTTP interface: sign-out revokes the session on every
instance sharing the store, and failed admin tokens (login form, `?token=`, `/api` bearer) are slowed
per client address with 429 `too_many_attempts` and `Retry-After`."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from irisgate.admin.auth import SESSION_COOKIE
from irisgate.admin.throttle import AuthThrottle, TooManyAttempts

from fixtures_browser import admin_token, login

TOKEN = "iris-admin-shared-by-both-instances-0123456789"


def sign_in(gateway: Any) -> tuple[str, str]:
    """Sign in through the login form: the session cookie, and its CSRF token from /api/session."""
    answer = httpx.post(gateway.url + "/login", data={"token": admin_token_of(gateway), "next": "/providers"})
    assert answer.status_code == 303 and answer.headers["location"] == "/providers"
    cookie = answer.cookies[SESSION_COOKIE]
    session = httpx.get(gateway.url + "/api/session", cookies={SESSION_COOKIE: cookie}).json()
    assert session["signed_in"] is True
    return cookie, session["csrf_token"]


def admin_token_of(gateway: Any) -> str:
    path = gateway.app_dir / "admin_token"
    return path.read_text().strip() if path.exists() else TOKEN


def browser(gateway: Any, cookie: str) -> httpx.Client:
    """An HTTP client that sends the session cookie (as the browser does, without following redirects)."""
    return httpx.Client(base_url=gateway.url, cookies={SESSION_COOKIE: cookie})


def assert_refused(gateway: Any, cookie: str, csrf: str) -> None:
    """Every way a session cookie is accepted now refuses this one."""
    with browser(gateway, cookie) as client:
        page = client.get("/virtual-keys")
        assert page.status_code == 303 and page.headers["location"] == "/login?next=/virtual-keys"
        assert client.get("/api/session").json() == {"signed_in": False}
        api = client.post("/api/virtual-keys", json={"name": "after"}, headers={"X-CSRF-Token": csrf})
        assert api.status_code == 401 and api.json()["error"]["code"] == "unauthorized"
        form = client.post("/virtual-keys", data={"name": "after-form", "csrf_token": csrf})
        assert form.status_code == 303 and form.headers["location"].startswith("/login")
        v1 = client.get("/v1/videos", headers={"X-CSRF-Token": csrf})
        assert v1.status_code == 401 and v1.json()["error"]["code"] == "invalid_api_key"
        login_page = client.get("/login")  # not signed in: the form, not a redirect to the dashboard
        assert login_page.status_code == 200 and "Sign in to the dashboard" in login_page.text


def test_the_old_session_cookie_is_refused_after_sign_out_on_every_instance(make_gateway, monkeypatch):
    monkeypatch.setenv("IRISGATE_ADMIN_TOKEN", TOKEN)
    first = make_gateway({})
    second = make_gateway({"store": {"url": first.settings.store_url}})
    cookie, csrf = sign_in(first)
    with browser(first, cookie) as client:
        created = client.post("/api/virtual-keys", json={"name": "before"}, headers={"X-CSRF-Token": csrf})
        assert created.status_code == 201, created.text
    for _ in range(100):  # the second instance learns of the virtual key within its watch interval
        if httpx.get(second.base_url + "/videos").status_code == 401:
            break
        time.sleep(0.05)
    assert httpx.get(second.base_url + "/videos").status_code == 401  # /v1 needs credentials on both
    for gateway in (first, second):  # the stateless cookie works on both instances
        with browser(gateway, cookie) as client:
            assert client.get("/virtual-keys").status_code == 200
            assert client.get("/v1/videos").status_code == 200  # the dashboard's session reaches /v1

    with browser(first, cookie) as client:
        signed_out = client.post("/logout", data={"csrf_token": csrf})
    assert signed_out.status_code == 303 and signed_out.headers["location"] == "/login"
    assert f'{SESSION_COOKIE}=""' in signed_out.headers["set-cookie"]  # the browser forgets it too

    for gateway in (first, second):  # a copy of the cookie kept elsewhere is refused everywhere
        assert_refused(gateway, cookie, csrf)
    with browser(first, cookie) as client:  # signing out twice is harmless
        again = client.post("/logout", data={"csrf_token": csrf})
    assert again.status_code == 303 and again.headers["location"].startswith("/login")

    admin = httpx.Client(base_url=first.url + "/api", headers={"Authorization": f"Bearer {TOKEN}"})
    assert [key["name"] for key in admin.get("/virtual-keys").json()["virtual_keys"]] == ["before"]
    new_cookie, _ = sign_in(second)  # signing in again gives a new, working session
    assert new_cookie != cookie
    with browser(first, new_cookie) as client:
        assert client.get("/virtual-keys").status_code == 200


def test_hostile_cookie_and_csrf_values_are_refused_not_500(make_gateway):
    gateway = make_gateway({})
    url = gateway.url + "/api/providers"
    for value in (b"1.2.\xe9", b"\xff\xfe", b"9999999999.n.\xc3\xa9" + b"0" * 40):
        answer = httpx.get(url, headers={"cookie": SESSION_COOKIE.encode() + b"=" + value})
        assert answer.status_code == 401, value
    cookie, _ = sign_in(gateway)
    forged = httpx.post(
        url,
        json={"provider": "runway"},
        cookies={SESSION_COOKIE: cookie},
        headers={"x-csrf-token": b"\xe9t\xe9"},
    )
    assert forged.status_code == 403 and forged.json()["error"]["code"] == "csrf_failed"


# -- back-off --------------------------------------------------------------------------------------


def api(gateway: Any, token: str, address: str = "127.0.0.1") -> httpx.Response:
    """GET /api/providers with a bearer token, from a chosen loopback address."""
    transport = httpx.HTTPTransport(local_address=address)
    with httpx.Client(transport=transport) as client:
        return client.get(gateway.url + "/api/providers", headers={"Authorization": f"Bearer {token}"})


def assert_too_many(answer: httpx.Response) -> int:
    assert answer.status_code == 429, answer.text
    error = answer.json()["error"]
    assert (error["code"], error["type"], error["param"]) == ("too_many_attempts", "rate_limit_error", None)
    wait = int(answer.headers["retry-after"])
    assert 1 <= wait <= 60
    return wait


def test_wrong_admin_bearer_tokens_are_slowed_per_address(make_gateway):
    gateway = make_gateway({})
    token = admin_token(gateway)
    for _ in range(5):  # a few mistakes are forgiven
        assert api(gateway, "wrong").status_code == 401
    wait = assert_too_many(api(gateway, token))  # even the right token waits: it is not compared
    assert token not in api(gateway, token).text
    assert api(gateway, token, address="127.0.0.2").status_code == 200  # another address is not slowed
    assert api(gateway, "wrong", address="127.0.0.2").status_code == 401

    time.sleep(wait)
    assert api(gateway, "wrong").status_code == 401  # tried again after the wait: still wrong...
    assert assert_too_many(api(gateway, token)) > wait  # ...and the next wait is longer
    sessionless = httpx.get(gateway.url + "/api/providers")
    assert sessionless.status_code == 401  # no token at all is not an attempt: refused, not slowed


def test_wrong_bearer_tokens_on_v1_are_slowed_too(make_gateway):
    """Once virtual keys exist, /v1 takes the admin token as a bearer as well: guessing it there is
    slowed as on /api."""
    gateway = make_gateway({})
    token = admin_token(gateway)
    virtual_key = api_post(gateway, token, "/api/virtual-keys", {"name": "app"}).json()["key"]

    def videos(bearer: str) -> httpx.Response:
        return httpx.get(gateway.base_url + "/videos", headers={"Authorization": f"Bearer {bearer}"})

    assert videos(virtual_key).status_code == 200
    for _ in range(5):
        assert videos("wrong").status_code == 401
    assert_too_many(videos(token))  # not even compared while the address waits
    assert_too_many(videos(virtual_key))
    assert_too_many(api(gateway, token))  # one count per address, /api and /v1 alike


def api_post(gateway: Any, token: str, path: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(gateway.url + path, json=body, headers={"Authorization": f"Bearer {token}"})


def test_a_success_resets_the_count(make_gateway):
    gateway = make_gateway({})
    token = admin_token(gateway)
    for _ in range(5):
        assert api(gateway, "wrong").status_code == 401
    time.sleep(assert_too_many(api(gateway, "wrong")))
    assert api(gateway, token).status_code == 200
    for _ in range(5):  # the count started afresh
        assert api(gateway, "wrong").status_code == 401
    assert_too_many(api(gateway, "wrong"))


def test_failed_sign_ins_are_slowed_and_the_form_says_so(make_gateway):
    gateway = make_gateway({})
    token = admin_token(gateway)
    for attempt in range(5):  # the form and the printed ?token= URL count together
        if attempt % 2:
            answer = httpx.get(gateway.url + "/login", params={"token": "wrong"})
        else:
            answer = httpx.post(gateway.url + "/login", data={"token": "wrong", "next": "/"})
        assert answer.status_code == 401 and "That admin token is not valid." in answer.text
    for answer in (
        httpx.post(gateway.url + "/login", data={"token": token, "next": "/"}),
        httpx.get(gateway.url + "/login", params={"token": token}),
    ):
        assert answer.status_code == 429 and SESSION_COOKIE not in answer.headers.get("set-cookie", "")
        wait = int(answer.headers["retry-after"])
        assert f"Too many failed sign-ins from your address. Wait {wait} s, then try again." in answer.text
    assert_too_many(api(gateway, token))  # one count per address, whichever door was knocked on


def test_the_login_form_shows_the_wait_in_a_browser(page: Page, empty_gateway):
    page.goto(empty_gateway.url + "/login")
    for _ in range(5):
        page.get_by_label("Admin token").fill("not-the-token")
        with page.expect_navigation():  # each answer is a new page: wait for it before typing again
            page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_contain_text("not valid")
    page.get_by_label("Admin token").fill(admin_token(empty_gateway))
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Too many failed sign-ins from your address")
    expect(page.get_by_role("heading", name="Sign in to the dashboard")).to_be_visible()


def test_sign_out_in_a_browser_ends_the_session_for_a_copied_cookie(page: Page, empty_gateway):
    login(page, empty_gateway)
    copied = [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(empty_gateway.url + "/login")
    page.context.add_cookies(copied)  # the cookie as it was before sign-out, put back
    page.goto(empty_gateway.url + "/virtual-keys")
    expect(page).to_have_url(empty_gateway.url + "/login?next=/virtual-keys")
    assert page.request.get(empty_gateway.url + "/api/session").status == 401


# -- the throttle's arithmetic, on a clock the test turns -----------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def wait_of(throttle: AuthThrottle, address: str) -> int:
    try:
        throttle.check(address)
    except TooManyAttempts as error:
        return error.wait
    return 0


def test_waits_double_up_to_the_cap_and_are_forgotten():
    clock = Clock()
    throttle = AuthThrottle(clock=clock)
    waits = []
    for _ in range(12):
        throttle.failed("a")
        waits.append(wait_of(throttle, "a"))
        clock.now += 61  # past any wait: the next failure is a real attempt
    assert waits == [0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60]
    clock.now += 15 * 60  # a quiet quarter of an hour: the address starts afresh
    throttle.failed("a")
    assert wait_of(throttle, "a") == 0


def test_memory_is_bounded_and_a_success_forgets():
    throttle = AuthThrottle(clock=Clock(), max_tracked=100)
    for number in range(1000):
        throttle.failed(f"10.0.{number // 256}.{number % 256}")
    assert len(throttle) == 100
    throttle.succeeded("10.0.3.231")  # the most recent one is still tracked
    assert len(throttle) == 99


@pytest.fixture
def empty_gateway(start_gateway):
    return start_gateway({})
