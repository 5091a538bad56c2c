"""The request-log table's rows and its one query (newest first, with filters)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from irisgate.store.records import RequestLogRecord
from irisgate.store.tables import ERROR_STATUS, request_logs

MAX_LOG_PAGE = 1000
ERROR_MESSAGE_MAX_CHARS = 2000


def clipped_error_message(message: str | None) -> str | None:
    """A request log's error message as stored: at most ``ERROR_MESSAGE_MAX_CHARS`` characters."""
    if message is not None and len(message) > ERROR_MESSAGE_MAX_CHARS:
        return message[:ERROR_MESSAGE_MAX_CHARS]
    return message


def log_values(record: RequestLogRecord) -> dict[str, Any]:
    """A record as the row inserted (its id is the database's)."""
    return {
        "request_id": record.request_id,
        "created_at": record.created_at,
        "method": record.method,
        "route": record.route,
        "provider": record.provider,
        "model": record.model,
        "key_id": record.key_id,
        "key_name": record.key_name,
        "status_code": record.status_code,
        "latency_ms": record.latency_ms,
        "cost_usd": record.cost_usd,
        "error_code": record.error_code,
        "error_message": clipped_error_message(record.error_message),
        "client_key_id": record.client_key_id,
    }


def request_logs_query(
    limit: int, before_id: int | None, provider: str | None, status_code: int | None
) -> sa.Select[Any]:
    """Newest first, walking the ids down; errors by their partial index (``ix_request_logs_errors``)."""
    limit = max(1, min(limit, MAX_LOG_PAGE))
    query = sa.select(request_logs).order_by(request_logs.c.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(request_logs.c.id < before_id)
    if provider is not None:
        query = query.where(request_logs.c.provider == provider)
    if status_code is not None:
        query = query.where(request_logs.c.status_code == status_code)
        if status_code >= ERROR_STATUS:  # states the index's condition, so that SQLite uses it
            query = query.where(request_logs.c.status_code >= ERROR_STATUS)
    return query
