"""Desktop notifications from the real daemon to a real notification server (dunst) on a
private session bus: a switch done, a refused reload, and the config key that turns them off."""

from __future__ import annotations

import asyncio
import logging
import subprocess
from collections.abc import Iterator

import pytest
from daemon_fixtures import CONFIG, Tree, make_tree
from notify_fixtures import NotificationServer

from modeswitch.daemon.notifications import DbusNotifier
from modeswitch.notices import Notice, Urgency


@pytest.fixture(scope="module")
def server() -> Iterator[NotificationServer]:
    with NotificationServer() as running:
        yield running


@pytest.fixture
def tree() -> Iterator[Tree]:
    made = make_tree()
    try:
        yield made
    finally:
        made.cleanup()


def test_switch_done_and_refused_reload_are_shown(server: NotificationServer, tree: Tree) -> None:
    daemon = tree.start_daemon(DBUS_SESSION_BUS_ADDRESS=server.address)
    before = len(server.received())
    assert tree.cli("desk").returncode == 0
    shown = server.wait_for("Switched to desk")[before:]
    assert [(n["appname"], n["summary"], n["body"]) for n in shown] == [
        ("modeswitch", "Switched to desk", "The seat is in desk mode.")]
    tree.write_mode("tv", "name: tv\nvm: sometimes\n")
    assert tree.cli("reload").returncode == 1
    shown = server.wait_for("modeswitch: config change refused")
    assert "tv.yaml:2:5: unknown vm state 'sometimes'" in shown[-1]["body"]
    assert shown[-1]["body"].endswith("The last good config stays active.")
    assert tree.stop(daemon) == 0


def test_notifications_off_in_config_then_on_again(server: NotificationServer, tree: Tree) -> None:
    tree.config.write_text(CONFIG + "notifications:\n  enabled: false\n")
    daemon = tree.start_daemon(DBUS_SESSION_BUS_ADDRESS=server.address)
    before = len(server.received())
    assert tree.cli("desk").returncode == 0  # not shown
    tree.config.write_text(CONFIG + "notifications:\n  enabled: true\n")
    assert tree.cli("reload").returncode == 0
    assert tree.cli("tv").returncode == 0
    # one connection, in order: had the desk notice been sent, it would be here before this one
    shown = server.wait_for("Switched to tv")[before:]
    assert [n["summary"] for n in shown] == ["Switched to tv"]
    assert tree.stop(daemon) == 0


def test_the_notifier_on_the_bus_and_without_one(server: NotificationServer,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    async def send(bus: str) -> int:
        notifier = DbusNotifier(bus)
        try:
            await notifier.notify(Notice("Switch to tv failed", "step usb.attach timed out", Urgency.CRITICAL))
            await notifier.notify(Notice("second", "", Urgency.LOW))
            return notifier.last_id
        finally:
            await notifier.close()

    assert asyncio.run(send(server.address)) > 0
    assert [n["summary"] for n in server.wait_for("second")[-2:]] == ["Switch to tv failed", "second"]
    with caplog.at_level(logging.WARNING, logger="modeswitch.daemon.notifications"):
        assert asyncio.run(send("unix:path=/nonexistent/bus")) == 0
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and "desktop notification not shown" in warnings[0]  # once per outage


def test_doctor_asks_the_session_bus_for_the_server(server: NotificationServer) -> None:
    from modeswitch.doctor.probes import probe_notifications

    found = asyncio.run(probe_notifications(server.address))
    assert found.error is None and found.output.startswith("dunst ")
    absent = asyncio.run(probe_notifications("unix:path=/nonexistent/bus"))
    assert absent.output == "" and "session bus does not answer" in (absent.error or "")
    bus = subprocess.Popen(["dbus-daemon", "--session", "--print-address=1", "--nofork", "--nopidfile"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert bus.stdout is not None
        empty = asyncio.run(probe_notifications(bus.stdout.readline().strip()))
    finally:
        bus.terminate()
        bus.wait(timeout=30)
    # the bus may try to start one by D-Bus activation (dunst installs a .service file), which fails
    # here without a display: ServiceUnknown or Spawn.ChildSignaled, a "no server" either way
    assert (empty.error or "").startswith("no notification server on the session bus (org.freedesktop.DBus.Error.")
