"""What a job's record says when its create failed, or its task can no longer be found.

A failed create either proves that the provider created nothing (its error says so: a refusal of
the request or of the key, a connection that never opened), or it leaves a task that may exist and
be billed: the answer was lost (a reset, a body that is not the answer, a timeout after the request
left). Such a record stays, so the user sees it (``/api/jobs``, the dashboard). When irisgate chose
the task's id itself (Runware's ``taskUUID``) it keeps asking the provider for that task and carries
on with it if it exists; when only the answer could have told the id (Runway), the job ends
``failed`` with an error that says a task may have been created.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from irisgate.schemas.errors import GatewayError
from irisgate.schemas.videos import VideoTaskState
from irisgate.store import VideoJobRecord, utc_now

LOST_ANSWER = "upstream_outcome_unknown"
NEVER_CREATED = "upstream_task_never_created"
TASK_GONE = "upstream_task_not_found"
UNREACHABLE = "upstream_unreachable"
# Beyond the longest a create can take (its timeouts and retries), how long to wait before a create
# that never answered (irisgate was stopped meanwhile) is taken for lost.
SUBMIT_GRACE_SECONDS = 60.0


def nothing_created(error: GatewayError) -> bool:
    """Whether the error of a create proves that the provider created no task."""
    return error.nothing_created or not error.transient


def lost_answer(job: VideoJobRecord, error: GatewayError | None) -> dict[str, Any]:
    """The record's changes for a create whose outcome is unknown (``error`` None: irisgate stopped
    before the answer came)."""
    why = f"its answer was lost ({error.message})" if error is not None else "no answer was recorded"
    if job.upstream_id is not None:
        return {
            "error_code": LOST_ANSWER,
            "error_message": f"{job.provider} may have created this task, but {why}; irisgate keeps "
            f"asking {job.provider} for task {job.upstream_id} and carries on with it if it exists.",
        }
    return {
        "status": "failed",
        "completed_at": utc_now(),
        "error_code": LOST_ANSWER,
        "error_message": f"{job.provider} may have created a task for this video, and may bill it, but "
        f"{why}, so irisgate never learned its id: look for it in your {job.provider} account.",
    }


def unreachable(job: VideoJobRecord, since: datetime, error: GatewayError) -> dict[str, Any]:
    """The end of a job whose provider could not be asked about it for too long."""
    return {
        "status": "failed",
        "completed_at": utc_now(),
        "error_code": UNREACHABLE,
        "error_message": f"irisgate could not get an answer from {job.provider} about this job since "
        f"{since.isoformat(timespec='seconds')} (settlement.give_up_after), the last time: {error.message}",
    }


def unknown_task(job: VideoJobRecord) -> VideoTaskState:
    """The end of a job whose task the provider does not know."""
    if job.status == "submitting":  # the create never reached the provider
        return VideoTaskState(
            job.upstream_id or "",
            "failed",
            error_code=NEVER_CREATED,
            error_message=f"{job.provider} has no task {job.upstream_id}: the create never reached it, "
            "so nothing was generated or billed.",
        )
    return VideoTaskState(
        job.upstream_id or "",
        "failed",
        error_code=TASK_GONE,
        error_message=f"{job.provider} no longer knows task {job.upstream_id}.",
    )
