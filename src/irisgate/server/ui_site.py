"""Every route of the web dashboard, in one list for `create_app`."""

from __future__ import annotations

from starlette.routing import BaseRoute

from irisgate.server import (
    ui,
    ui_keys,
    ui_logs,
    ui_playground,
    ui_providers,
    ui_videos,
    ui_virtual_keys,
    ui_webhooks,
)

routes: list[BaseRoute] = [
    *ui_providers.routes,
    *ui_keys.routes,
    *ui_videos.routes,
    *ui_logs.routes,
    *ui_playground.routes,
    *ui_virtual_keys.routes,
    *ui_webhooks.routes,
    *ui.routes,
]
