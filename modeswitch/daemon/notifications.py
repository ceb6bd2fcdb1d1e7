"""Desktop notifications through the freedesktop Notifications D-Bus interface.

Spoken with jeepney (pure Python, no libdbus, asyncio-native, already used for Mutter), on
the session bus of $DBUS_SESSION_BUS_ADDRESS or an address given. Each notice is its own
popup (a failed switch must not be replaced by the done of the next one before it is read).
A desktop without a notification server costs one log line, never a failed switch.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from jeepney import DBusAddress, new_method_call
from jeepney.io.asyncio import DBusRouter, open_dbus_router
from jeepney.wrappers import DBusErrorResponse, unwrap_msg

from modeswitch.notices import Notice

log = logging.getLogger(__name__)

NOTIFICATIONS = DBusAddress("/org/freedesktop/Notifications", bus_name="org.freedesktop.Notifications",
                            interface="org.freedesktop.Notifications")
APP_NAME = "modeswitch"
CALL_TIMEOUT = 5.0


class DbusNotifier:
    """Notifier on a session bus; connects on first use and again after the bus went away."""

    def __init__(self, bus: str = "SESSION", expire_ms: int = -1) -> None:
        self.bus, self.expire_ms = bus, expire_ms
        self._router: DBusRouter | None = None
        self._router_cm: Any = None
        self.last_id = 0  # the server's id for the last notice shown
        self._warned = False

    async def notify(self, notice: Notice) -> None:
        try:
            router = await self._connect()
            message = new_method_call(NOTIFICATIONS, "Notify", "susssasa{sv}i", (
                APP_NAME, 0, "video-display", notice.summary, notice.body, [],
                {"urgency": ("y", int(notice.urgency)), "category": ("s", "device")}, self.expire_ms))
            reply = await asyncio.wait_for(router.send_and_get_reply(message), CALL_TIMEOUT)
            (self.last_id,) = unwrap_msg(reply)
            self._warned = False
        except (OSError, KeyError, ValueError, DBusErrorResponse, TimeoutError) as exc:
            await self._drop()
            self._warn(exc)

    def _warn(self, exc: BaseException) -> None:
        """Once per outage: a session without a notification server is a normal place to be."""
        if not self._warned:
            log.warning("desktop notification not shown (%s: %s); set notifications: {enabled: false} "
                        "to stop trying", type(exc).__name__, exc)
            self._warned = True

    async def _connect(self) -> DBusRouter:
        if self._router is None:
            self._router_cm = open_dbus_router(self.bus)
            self._router = await asyncio.wait_for(self._router_cm.__aenter__(), CALL_TIMEOUT)
        return self._router

    async def _drop(self) -> None:
        cm, self._router, self._router_cm = self._router_cm, None, None
        if cm is not None:
            try:
                await cm.__aexit__(None, None, None)
            except Exception:  # the connection is already broken; nothing left to close
                log.debug("closing the D-Bus connection failed", exc_info=True)

    async def close(self) -> None:
        await self._drop()
