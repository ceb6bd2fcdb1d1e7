"""The drain thread: its cadence, its stop, and a drain that stops its own thread."""

from __future__ import annotations

import threading
import time

import pytest

from modeswitch.triggers.usbmon_drain import Drainer


def test_drains_on_its_interval_until_stopped_and_the_thread_ends() -> None:
    calls: list[float] = []
    drainer = Drainer(0.005, lambda: calls.append(time.monotonic()))
    drainer.start()
    deadline = time.monotonic() + 5
    while len(calls) < 10 and time.monotonic() < deadline:
        time.sleep(0.005)
    thread = drainer.stop()
    Drainer.wait(thread)
    assert thread is not None and not thread.is_alive() and not drainer.running
    assert len(calls) >= 10
    count = len(calls)
    time.sleep(0.03)
    assert len(calls) == count  # no drain after stop returned and the thread was waited for


def test_a_stop_ends_the_sleep_at_once() -> None:
    drainer = Drainer(30.0, lambda: None)  # a drain would be half a minute away
    drainer.start()
    started = time.monotonic()
    Drainer.wait(drainer.stop())
    assert time.monotonic() - started < 5


def test_a_drain_that_stops_its_own_thread_ends_it_and_a_new_start_runs_again() -> None:
    ran = threading.Event()
    drainer: Drainer

    def drain() -> None:
        Drainer.wait(drainer.stop())  # from the thread itself: asked, not waited for
        ran.set()

    drainer = Drainer(0.002, drain)
    drainer.start()
    assert ran.wait(5)
    assert not drainer.running
    again = threading.Event()
    drainer = Drainer(0.002, again.set)
    drainer.start()
    assert again.wait(5)
    Drainer.wait(drainer.stop())


def test_a_drain_that_raises_is_logged_and_the_next_one_runs(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[int] = []

    def drain() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("a transient failure")

    drainer = Drainer(0.002, drain)
    drainer.start()
    deadline = time.monotonic() + 5
    while len(calls) < 3 and time.monotonic() < deadline:
        time.sleep(0.002)
    Drainer.wait(drainer.stop())
    assert len(calls) >= 3
    assert "usbmon drain failed" in caplog.text and "a transient failure" in caplog.text
