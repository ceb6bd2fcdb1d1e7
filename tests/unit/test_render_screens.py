"""What `modeswitch status` prints about the outputs, the TV and the monitor."""

from __future__ import annotations

import pytest

from modeswitch.cli.render_screens import print_screens
from modeswitch.model import SeatState
from modeswitch.parts.display.spec import DisplayObservation, OutputSetting
from modeswitch.parts.monitor.spec import MonitorObservation
from modeswitch.parts.registry import seat_json
from modeswitch.parts.tv.spec import TvObservation


@pytest.mark.parametrize(("state", "lines"), [
    (SeatState(display=DisplayObservation((OutputSetting("DP-1", True, "2560x1440", False),
                                           OutputSetting("HDMI-A-1", True, "3840x2160", True, "DP-1"),
                                           OutputSetting("DP-2", False)))),
     ["display: DP-1 2560x1440", "display: HDMI-A-1 3840x2160 right of DP-1 primary"]),
    (SeatState(display=DisplayObservation((OutputSetting("DP-1", False),))), ["display: no output lit"]),
    (SeatState(tv=TvObservation("/dev/cec0", "on", 0x1000, 0x1000)),
     ["tv:      on; showing 1.0.0.0 (this PC: 1.0.0.0) via /dev/cec0"]),
    (SeatState(tv=TvObservation("/dev/cec0", None, None, None)), ["tv:      did not answer via /dev/cec0"]),
    (SeatState(tv=TvObservation("/dev/cec0", error="no CEC adapter at /dev/cec0 (ls /dev/cec*)")),
     ["tv:      no CEC adapter at /dev/cec0 (ls /dev/cec*)"]),
    (SeatState(monitor=MonitorObservation("/dev/i2c-4", "DEL DELL U2415", 0x0F)),
     ["monitor: DEL DELL U2415 shows dp1 (DDC/CI on /dev/i2c-4)"]),
    (SeatState(monitor=MonitorObservation("/dev/i2c-4", "DEL DELL U2415", None, "no DDC/CI answer on /dev/i2c-4")),
     ["monitor: DEL DELL U2415: no DDC/CI answer on /dev/i2c-4"]),
    (SeatState(), []),
])
def test_status_lines(state: SeatState, lines: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    print_screens(seat_json(state))
    assert capsys.readouterr().out.splitlines() == lines
