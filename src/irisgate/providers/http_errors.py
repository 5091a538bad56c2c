"""Transport failures of a provider call as gateway errors, with the flags retries depend on.

- Never sent (no connection within the deadline, connect refused, proxy or TLS handshake failure):
  `nothing_created=True`, so a create may be sent again; transient unless only a change of
  configuration can help (an untrusted certificate).
- Maybe received (a timeout or a dropped connection after the request went out): transient but
  ambiguous (`nothing_created=False`): a create is not sent again blindly.

Messages name the provider, the host and the setting to look at; never a URL's query or a header's
value (either may carry a credential).
"""

from __future__ import annotations

import aiohttp

from irisgate.config import NetworkConfig
from irisgate.providers.http_session import CallProgress
from irisgate.schemas.errors import GatewayError

NEVER_SENT = "the request was never sent"


def never_sent(status: int, message: str, code: str, *, transient: bool = True) -> GatewayError:
    return GatewayError(status, message, code=code, transient=transient, nothing_created=True)


def transport_error(
    provider: str, error: BaseException, progress: CallProgress, network: NetworkConfig, timeout: float
) -> GatewayError:
    """The gateway error for an exception raised while calling ``provider``."""
    if isinstance(error, aiohttp.ClientConnectorCertificateError):
        reason = getattr(error.certificate_error, "verify_message", None) or "certificate verify failed"
        return never_sent(
            502,
            f"TLS certificate problem: the certificate of {error.host} could not be verified ({reason}). "
            f"If {provider} is reached through a private CA, give that CA in network_config.ca_cert_pem "
            f"(network_config.insecure_skip_verify: true turns checking off, for testing only); {NEVER_SENT}",
            "upstream_tls_error",
            transient=False,
        )
    if isinstance(error, aiohttp.ClientSSLError):
        return never_sent(
            502,
            f"The TLS handshake with {error.host} failed ({_reason(error)}); {NEVER_SENT} to {provider}. "
            "Check that the base_url's port speaks TLS, and network_config.ca_cert_pem "
            "and insecure_skip_verify",
            "upstream_tls_error",
        )
    if isinstance(error, aiohttp.ClientHttpProxyError):
        hint = " (check the proxy's username and password)" if error.status in (401, 407) else ""
        return never_sent(
            502,
            f"The proxy refused to open a tunnel for {provider}: HTTP {error.status} {error.message}{hint}; "
            f"{NEVER_SENT}",
            "upstream_unreachable",
        )
    if isinstance(error, aiohttp.ClientProxyConnectionError):
        return never_sent(
            502,
            f"Could not connect to the proxy for {provider} ({error.host}:{error.port}): "
            f"{_reason(error)}; {NEVER_SENT}",
            "upstream_unreachable",
        )
    if isinstance(error, TimeoutError):
        return _timeout(provider, progress, network, timeout)
    if isinstance(error, aiohttp.ClientConnectorError):
        return never_sent(
            502,
            f"Could not reach {provider} ({error.host}:{error.port}): {_reason(error)}; {NEVER_SENT}",
            "upstream_unreachable",
        )
    if isinstance(error, aiohttp.TooManyRedirects):
        return GatewayError(
            502, f"{provider} redirected too many times (the limit is 10)", code="upstream_redirect"
        )
    if isinstance(error, ValueError):  # raised before a byte is written (InvalidURL is one too)
        # aiohttp's text may quote the URL, which may hold a credential: not echoed
        return never_sent(
            502,
            f"irisgate could not send the request to {provider}: the URL or a header is not valid "
            "(check the provider's base_url, keys and extra_headers)",
            "upstream_request_invalid",
            transient=False,
        )
    if isinstance(error, aiohttp.ClientPayloadError):
        return GatewayError(
            502,
            f"{provider}'s answer broke off or could not be decoded ({error})",
            code="upstream_unreachable",
            transient=True,
        )
    if isinstance(error, aiohttp.ClientResponseError):
        return GatewayError(
            502,
            f"{provider} answered with something that is not HTTP ({error.message})",
            code="upstream_invalid_response",
            transient=True,
        )
    if not progress.connected:
        return never_sent(
            502, f"Could not reach {provider}: {_reason(error)}; {NEVER_SENT}", "upstream_unreachable"
        )
    return GatewayError(  # e.g. the connection dropped after the request went out: ambiguous
        502,
        f"Lost the connection to {provider}: {_reason(error)}",
        code="upstream_unreachable",
        transient=True,
    )


def _timeout(provider: str, progress: CallProgress, network: NetworkConfig, timeout: float) -> GatewayError:
    if progress.waiting:
        return never_sent(
            504,
            f"No connection to {provider} came free within {timeout:g} seconds: all "
            f"{network.max_conns_per_host} allowed (network_config.max_conns_per_host) were busy; "
            f"{NEVER_SENT}",
            "upstream_timeout",
        )
    if not progress.connected:
        return never_sent(
            504,
            f"Could not connect to {provider} within {timeout:g} seconds; {NEVER_SENT}",
            "upstream_timeout",
        )
    return GatewayError(
        504,
        f"{provider} did not answer within {timeout:g} seconds "
        "(network_config.default_request_timeout_in_seconds)",
        code="upstream_timeout",
        headers={"x-should-retry": "false"},
        transient=True,
    )


def _reason(error: BaseException) -> str:
    """The underlying OS or TLS error's name and text (e.g. ``ConnectionRefusedError``), never a URL."""
    cause = getattr(error, "os_error", None) or error.__cause__ or error
    detail = getattr(cause, "strerror", None) or getattr(cause, "reason", None)
    name = type(cause).__name__
    return f"{name}: {detail}" if detail else name
