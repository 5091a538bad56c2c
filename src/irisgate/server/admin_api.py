"""`/api`: providers and keys (paths compatible with Bifrost's), video jobs and request logs."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from irisgate.admin.service import AdminService
from irisgate.admin.virtual_keys import VirtualKeys
from irisgate.jobs.ids import is_video_id, not_found
from irisgate.schemas.errors import GatewayError, invalid_request
from irisgate.server.admin_guard import admin_only, auth_of, session_of
from irisgate.server.forms import int_param, read_json_object
from irisgate.server.responses import error_response, json_response
from irisgate.server.videos import video_object
from irisgate.store import RequestLogRecord, VideoJobRecord

MAX_PAGE = 200


def service(request: Request) -> AdminService:
    return request.app.state.gateway.admin


@admin_only
async def list_providers(request: Request) -> Response:
    providers = await service(request).list_providers()
    return json_response({"providers": providers, "total": len(providers)})


@admin_only
async def create_provider(request: Request) -> Response:
    return json_response(await service(request).create_provider(await read_json_object(request)), 201)


@admin_only
async def get_provider(request: Request) -> Response:
    return json_response(await service(request).get_provider(request.path_params["name"]))


@admin_only
async def update_provider(request: Request) -> Response:
    body = await read_json_object(request)
    return json_response(await service(request).update_provider(request.path_params["name"], body))


@admin_only
async def delete_provider(request: Request) -> Response:
    await service(request).delete_provider(request.path_params["name"])
    return json_response({"name": request.path_params["name"], "deleted": True})


@admin_only
async def list_keys(request: Request) -> Response:
    keys = await service(request).list_keys(request.path_params["name"])
    return json_response({"keys": keys, "total": len(keys)})


@admin_only
async def create_key(request: Request) -> Response:
    body = await read_json_object(request)
    return json_response(await service(request).create_key(request.path_params["name"], body), 201)


@admin_only
async def get_key(request: Request) -> Response:
    return json_response(
        await service(request).get_key(request.path_params["name"], request.path_params["key_id"])
    )


@admin_only
async def update_key(request: Request) -> Response:
    body = await read_json_object(request)
    params = request.path_params
    return json_response(await service(request).update_key(params["name"], params["key_id"], body))


@admin_only
async def delete_key(request: Request) -> Response:
    await service(request).delete_key(request.path_params["name"], request.path_params["key_id"])
    return json_response({"id": request.path_params["key_id"], "deleted": True})


@admin_only
async def list_jobs(request: Request) -> Response:
    query = request.query_params
    limit = int_param(query.get("limit"), "limit", 20, 1, 100)
    order = query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise invalid_request("'order' must be 'asc' or 'desc'", "order")
    after = query.get("after") or None
    if after is not None and not is_video_id(after):
        raise not_found(after)
    store = request.app.state.gateway.store
    jobs, has_more = await store.list_jobs(
        limit=limit,
        after=after,
        order=order,
        provider=query.get("provider") or None,
        status=query.get("status") or None,
    )
    data = [admin_job_view(job) for job in jobs]
    return json_response({"data": data, "has_more": has_more, "last_id": data[-1]["id"] if data else None})


@admin_only
async def list_logs(request: Request) -> Response:
    query = request.query_params
    status = query.get("status_code")
    logs = await request.app.state.gateway.store.list_request_logs(
        limit=int_param(query.get("limit"), "limit", 50, 1, MAX_PAGE),
        before_id=int_param(query.get("before_id"), "before_id", None, 1, 2**62),
        provider=query.get("provider") or None,
        status_code=int_param(status, "status_code", None, 100, 599),
    )
    data = [log_view(log) for log in logs]
    return json_response({"data": data, "next_before_id": data[-1]["id"] if data else None})


@admin_only
async def get_log(request: Request) -> Response:
    log_id = int_param(request.path_params["log_id"], "log_id", None, 1, 2**62)
    logs = await request.app.state.gateway.store.list_request_logs(limit=1, before_id=(log_id or 0) + 1)
    if not logs or logs[0].id != log_id:
        raise GatewayError(404, f"No request log {log_id}", code="not_found")
    return json_response(log_view(logs[0]))


async def session_info(request: Request) -> Response:
    """Whether the caller is signed in, and the CSRF token of its session (for the dashboard's scripts)."""
    try:
        nonce = await session_of(request)
    except GatewayError as error:  # the store cannot say whether the session was signed out
        return error_response(error)
    if nonce is None:
        return json_response({"signed_in": False}, 401)
    return json_response({"signed_in": True, "csrf_token": auth_of(request).csrf_token(nonce)})


def admin_job_view(job: VideoJobRecord) -> dict[str, Any]:
    """The `Video` object and what the admin also sees: the provider, the key, the state as stored
    (``submitting`` while a create has not answered) and any error, failed or not (a create whose
    answer was lost says so while irisgate still looks for its task)."""
    error = {"code": job.error_code, "message": job.error_message} if job.error_code else None
    return {
        **video_object(job),
        "provider": job.provider,
        "key_name": job.key_name,
        "state": job.status,
        "upstream_id": job.upstream_id,
        "error": error,
        "media": {  # its kept copy (media/keeper.py)
            "state": job.media_state,
            "size": job.media_size,
            "type": job.media_type,
            "thumbnail": job.thumbnail_key is not None,
            "attempts": job.media_attempts,
            "error": job.media_error,
        },
    }


def log_view(log: RequestLogRecord) -> dict[str, Any]:
    return {
        "id": log.id,
        "request_id": log.request_id,
        "created_at": log.created_at.isoformat(),
        "method": log.method,
        "route": log.route,
        "provider": log.provider,
        "model": log.model,
        "key_id": log.key_id,
        "key_name": log.key_name,
        "status_code": log.status_code,
        "latency_ms": log.latency_ms,
        "cost_usd": log.cost_usd,
        "error_code": log.error_code,
        "error_message": log.error_message,
    }


routes = [
    Route("/api/session", session_info, methods=["GET"]),
    Route("/api/providers", list_providers, methods=["GET"]),
    Route("/api/providers", create_provider, methods=["POST"]),
    Route("/api/providers/{name}", get_provider, methods=["GET"]),
    Route("/api/providers/{name}", update_provider, methods=["PUT"]),
    Route("/api/providers/{name}", delete_provider, methods=["DELETE"]),
    Route("/api/providers/{name}/keys", list_keys, methods=["GET"]),
    Route("/api/providers/{name}/keys", create_key, methods=["POST"]),
    Route("/api/providers/{name}/keys/{key_id}", get_key, methods=["GET"]),
    Route("/api/providers/{name}/keys/{key_id}", update_key, methods=["PUT"]),
    Route("/api/providers/{name}/keys/{key_id}", delete_key, methods=["DELETE"]),
    Route("/api/jobs", list_jobs, methods=["GET"]),
    Route("/api/logs", list_logs, methods=["GET"]),
    Route("/api/logs/{log_id}", get_log, methods=["GET"]),
]


def virtual_keys(request: Request) -> VirtualKeys:
    return request.app.state.gateway.virtual_keys


@admin_only
async def list_virtual_keys(request: Request) -> Response:
    keys = await virtual_keys(request).list()
    return json_response({"virtual_keys": keys, "total": len(keys)})


@admin_only
async def create_virtual_key(request: Request) -> Response:
    return json_response(await virtual_keys(request).create(await read_json_object(request)), 201)


@admin_only
async def get_virtual_key(request: Request) -> Response:
    return json_response(await virtual_keys(request).get(request.path_params["key_id"]))


@admin_only
async def update_virtual_key(request: Request) -> Response:
    body = await read_json_object(request)
    return json_response(await virtual_keys(request).update(request.path_params["key_id"], body))


@admin_only
async def delete_virtual_key(request: Request) -> Response:
    await virtual_keys(request).delete(request.path_params["key_id"])
    return json_response({"id": request.path_params["key_id"], "deleted": True})


routes += [
    Route("/api/virtual-keys", list_virtual_keys, methods=["GET"]),
    Route("/api/virtual-keys", create_virtual_key, methods=["POST"]),
    Route("/api/virtual-keys/{key_id}", get_virtual_key, methods=["GET"]),
    Route("/api/virtual-keys/{key_id}", update_virtual_key, methods=["PUT"]),
    Route("/api/virtual-keys/{key_id}", delete_virtual_key, methods=["DELETE"]),
]
