"""Runway's task objects → unified job states (pure functions).

`PENDING`/`THROTTLED` → queued, `RUNNING` → in_progress (progress 0..1 → 0..100), `SUCCEEDED` →
completed with the first output URL, `FAILED` → failed with `failureCode` and `failure`,
`CANCELLED` → failed. Runway bills in credits; one credit is $0.01.
"""

from __future__ import annotations

from typing import Any

from irisgate.schemas.errors import GatewayError
from irisgate.schemas.videos import VideoStatus, VideoTaskState, progress_percent

USD_PER_CREDIT = 0.01
STATUSES: dict[str, VideoStatus] = {
    "PENDING": "queued",
    "THROTTLED": "queued",
    "RUNNING": "in_progress",
    "SUCCEEDED": "completed",
    "FAILED": "failed",
    "CANCELLED": "failed",
}


def parse_task(upstream_id: str, task: dict[str, Any]) -> VideoTaskState:
    native = str(task.get("status", "")).upper()
    status = STATUSES.get(native)
    if status is None:
        raise GatewayError(
            502, f"Runway reported an unknown task status {native!r}", code="upstream_invalid_response"
        )
    cost = credits_usd(task.get("cost")) if "cost" in task else credits_usd(task.get("estimatedCost"))
    if status == "completed":
        outputs = task.get("output") or []
        url = outputs[0] if isinstance(outputs, list) and outputs and isinstance(outputs[0], str) else None
        if url is None:
            raise GatewayError(
                502, "Runway reported success without an output URL", code="upstream_invalid_response"
            )
        return VideoTaskState(upstream_id, status, 100, output_url=url, cost_usd=cost)
    if status == "failed":
        if native == "CANCELLED":
            return VideoTaskState(
                upstream_id,
                status,
                0,
                cost_usd=cost,
                error_code="cancelled",
                error_message="The task was cancelled",
            )
        return VideoTaskState(
            upstream_id,
            status,
            0,
            cost_usd=cost,
            error_code=str(task.get("failureCode") or "generation_failed"),
            error_message=str(task.get("failure") or "Runway could not generate this video"),
        )
    progress = progress_percent(task.get("progress")) if native == "RUNNING" else 0
    return VideoTaskState(upstream_id, status, progress, cost_usd=cost)


def credits_usd(cost: Any) -> float | None:
    credits = cost.get("credits") if isinstance(cost, dict) else None
    if isinstance(credits, int | float) and not isinstance(credits, bool):
        return round(credits * USD_PER_CREDIT, 6)
    return None
