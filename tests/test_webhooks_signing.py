"""Standard Webhooks signatures and the address rules, without a gateway: irisgate's signing checked
against the reference implementation (`standardwebhooks`) and the OpenAI SDK's verifier."""

from __future__ import annotations

import ipaddress

import pytest
import standardwebhooks
from openai import OpenAI

from irisgate.webhooks.signing import new_secret, secret_hint, signature, signed_headers
from irisgate.webhooks.urls import CheckedResolver, UrlRefused, address_problem, check_literal, check_url

BODY = b'{"id":"evt_1","object":"event","created_at":1,"type":"video.completed","data":{"id":"video_1"}}'


def test_the_spec_example_signs_as_the_reference_does():
    # The example of the Standard Webhooks specification.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}') == expected


def test_signed_headers_verify_with_standardwebhooks_and_the_openai_sdk():
    secret = new_secret()
    assert secret.startswith("whsec_") and len(secret) == len("whsec_") + 44
    assert secret_hint(secret) == "whsec_…" + secret[-4:]
    headers = signed_headers("whd_1", BODY, [secret])
    assert standardwebhooks.Webhook(secret).verify(BODY, headers)["data"]["id"] == "video_1"
    client = OpenAI(api_key="unused")
    client.webhooks.verify_signature(BODY, headers, secret=secret)
    assert client.webhooks.unwrap(BODY, headers, secret=secret).type == "video.completed"
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        standardwebhooks.Webhook(new_secret()).verify(BODY, headers)
    with pytest.raises(Exception, match="signature"):
        client.webhooks.verify_signature(BODY + b" ", headers, secret=secret)


def test_two_secrets_sign_side_by_side_and_either_verifies():
    old, new = new_secret(), new_secret()
    headers = signed_headers("whd_2", BODY, [new, old])
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        standardwebhooks.Webhook(secret).verify(BODY, headers)
        OpenAI(api_key="unused").webhooks.verify_signature(BODY, headers, secret=secret)


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fd00::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "non-public"),
    ],
)
def test_addresses_that_are_not_public_are_named(address, kind):
    assert kind in (address_problem(ipaddress.ip_address(address)) or "")


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "1.1.1.1"])
def test_public_addresses_pass(address):
    assert address_problem(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://93.184.215.14/hook", "https://"),
        ("ftp://example.com/", "https://"),
        ("https:///nohost", "no host"),
        ("https://user:pw@example.com/", "credentials"),
        ("https://127.0.0.1/hook", "loopback"),
        ("https://[::1]:8443/hook", "loopback"),
        ("https://10.0.0.5/hook", "private"),
        ("https://169.254.169.254/latest", "link-local"),
        ("https://" + "a" * 2050, "2048"),
    ],
)
def test_urls_refused_before_any_send(url, why):
    with pytest.raises(UrlRefused, match=why):
        check_literal(url, allow_private=False)


def test_private_urls_and_http_are_allowed_when_the_config_says_so():
    check_literal("http://127.0.0.1:8080/hook", allow_private=True)
    check_literal("https://93.184.215.14/hook", allow_private=False)


async def test_names_are_resolved_and_refused_if_any_address_is_private():
    with pytest.raises(UrlRefused, match="localhost resolves to a loopback address"):
        await check_url("https://localhost/hook", allow_private=False)
    with pytest.raises(UrlRefused, match="cannot be resolved"):
        await check_url("https://no-such-host.invalid/hook", allow_private=False)
    assert await check_url(" http://localhost:1/hook ", allow_private=True) == "http://localhost:1/hook"


async def test_the_senders_resolver_refuses_what_resolves_to_private_addresses():
    resolver = CheckedResolver(allow_private=False)
    with pytest.raises(OSError, match="refused: localhost resolves to a loopback"):
        await resolver.resolve("localhost", 443)
    assert await CheckedResolver(allow_private=True).resolve("localhost", 443)
    await resolver.close()
