"""``client.system``: who am I (``/api/me``) and what server is this (``/api/system/info``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import _wire, models

if TYPE_CHECKING:
    from .client import AsyncClient

__all__ = ["AsyncSystem"]

ME = "/api/me"
SYSTEM_INFO = "/api/system/info"


class AsyncSystem:
    """Identity and server information; ``profile verify`` and soft delete rely on ``me``."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    async def me(self) -> models.Me:
        """The user the profile's credentials belong to, with the names of their user groups,
        organisation units and roles (not only UIDs)."""
        return await self._client.get_decoded(
            ME, models.me_decoder, params=[("fields", _wire.ME_FIELDS)]
        )

    async def info(self) -> models.SystemInfo:
        """Server version (text and ``version_tuple``), revision, time zone, ..."""
        return await self._client.get_decoded(SYSTEM_INFO, models.system_info_decoder)
