"""The async client: the hand-written source of truth (``dhis2w._sync`` is generated)."""

from .client import AsyncClient, open_client

__all__ = ["AsyncClient", "open_client"]
