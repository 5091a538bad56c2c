"""Persistence behind one interface: SQLite (default) and PostgreSQL, via SQLAlchemy Core + Alembic."""

from irisgate.store.engine import default_store_url, normalize_store_url, store_location
from irisgate.store.errors import StoreIncompatible, StoreUnavailable
from irisgate.store.records import (
    KeyRecord,
    ProviderRecord,
    RequestLogRecord,
    VideoJobRecord,
    VirtualKeyRecord,
    utc_now,
)
from irisgate.store.store import Store

__all__ = [
    "KeyRecord",
    "ProviderRecord",
    "RequestLogRecord",
    "Store",
    "StoreIncompatible",
    "StoreUnavailable",
    "VideoJobRecord",
    "VirtualKeyRecord",
    "default_store_url",
    "normalize_store_url",
    "store_location",
    "utc_now",
]
