"""The `webhooks` block of the config file: its defaults, its durations, and strictness."""

from __future__ import annotations

import pytest

from irisgate.config import ConfigError
from irisgate.config.parse import parse_document


def test_defaults_retry_for_about_a_day_and_refuse_private_urls():
    webhooks = parse_document({}).webhooks
    assert webhooks.allow_private_urls is False
    assert (webhooks.backoff_initial, webhooks.backoff_max) == (30.0, 3600.0)
    assert webhooks.give_up_seconds == 24 * 3600
    assert webhooks.timeout_seconds == 10.0
    assert (webhooks.disable_after_failures, webhooks.disable_failing_seconds) == (20, 12 * 3600)


def test_every_setting_is_read():
    webhooks = parse_document(
        {
            "webhooks": {
                "allow_private_urls": True,
                "retry_backoff_initial": "1s",
                "retry_backoff_max": "2m",
                "give_up_after": "3h",
                "timeout_seconds": 5,
                "disable_after_failures": 7,
                "disable_after_failing_for": "0s",
                "max_in_flight": 8,
            }
        }
    ).webhooks
    assert webhooks.allow_private_urls and webhooks.backoff_initial == 1 and webhooks.backoff_max == 120
    assert webhooks.give_up_seconds == 3 * 3600 and webhooks.timeout_seconds == 5
    assert webhooks.disable_after_failures == 7 and webhooks.disable_failing_seconds == 0
    assert webhooks.max_in_flight == 8


@pytest.mark.parametrize(
    ("block", "field"),
    [
        ({"allow_private_url": True}, "webhooks.allow_private_url"),
        ({"allow_private_urls": "yes"}, "webhooks.allow_private_urls"),
        ({"retry_backoff_initial": "soon"}, "webhooks.retry_backoff_initial"),
        ({"retry_backoff_initial": "2h", "retry_backoff_max": "1h"}, "webhooks.retry_backoff_max"),
        ({"give_up_after": "0s"}, "webhooks.give_up_after"),
        ({"timeout_seconds": 0}, "webhooks.timeout_seconds"),
        ({"disable_after_failures": 0}, "webhooks.disable_after_failures"),
    ],
)
def test_a_bad_setting_names_its_path(block, field):
    with pytest.raises(ConfigError) as error:
        parse_document({"webhooks": block})
    assert error.value.field == field
