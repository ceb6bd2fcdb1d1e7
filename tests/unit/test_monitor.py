"""The `monitor` part: DDC/CI packets against VESA DDC/CI 1.1 bytes, EDID identity fields,
planning tables, and the backend on a stand-in monitor that answers in bytes
(modeswitch.sandbox.ddc_monitor), including the monitor that stops answering (issue 82)."""

from __future__ import annotations

import asyncio

import pytest

from modeswitch.errors import BackendError, PlanError
from modeswitch.model import StepKind
from modeswitch.parts.monitor import packets
from modeswitch.parts.monitor.backend import DdcBackend
from modeswitch.parts.monitor.device import DdcMonitorLink
from modeswitch.parts.monitor.packets import DdcError, Input, VcpValue
from modeswitch.parts.monitor.plan import plan_monitor
from modeswitch.parts.monitor.spec import MONITOR_INPUTS, MonitorObservation, MonitorSpec
from modeswitch.sandbox.ddc_monitor import StandInMonitor, edid_block

DELL = edid_block("DEL", 0xA0B4, 1112557388, "DELL U2415", "7MT0167B2YNL")


@pytest.mark.parametrize(("packet", "wire"), [
    (packets.get_vcp(0x10), "51 82 01 10 ac"),  # Get VCP brightness, the classic first trace
    (packets.get_vcp(0x60), "51 82 01 60 dc"),
    (packets.set_vcp(0x60, 0x0F), "51 84 03 60 00 0f d7"),  # input to DisplayPort 1
    (packets.set_vcp(0x60, 0x11), "51 84 03 60 00 11 c9"),  # input to HDMI 1
])
def test_requests(packet: bytes, wire: str) -> None:
    assert packet.hex(" ") == wire


@pytest.mark.parametrize(("wire", "value"), [
    ("6e 88 02 00 60 00 00 12 00 0f c9", VcpValue(0x60, 0x0F, 0x12)),
    ("6e 88 02 00 10 00 00 64 00 32 f2", VcpValue(0x10, 0x32, 0x64)),  # brightness 50 of 100
    ("6e 88 02 00 60 00 00 12 0f 11 d8", VcpValue(0x60, 0x0F11, 0x12)),  # junk high byte, as some monitors send
])
def test_replies(wire: str, value: VcpValue) -> None:
    assert packets.parse_vcp_reply(bytes.fromhex(wire), value.feature) == value


@pytest.mark.parametrize(("wire", "message"), [
    ("6e 80 be", "null message"),
    ("6e 88 02 00 60 00 00 12 00 0f c8", "bad checksum"),
    ("6e 88 02 01 60 00 00 00 00 00 d5", "does not support VCP 0x60"),
    ("ff ff ff ff", "not a DDC/CI reply"),
    ("6e 88 02 00 60", "cut short"),
])
def test_bad_replies(wire: str, message: str) -> None:
    with pytest.raises(DdcError, match=message):
        packets.parse_vcp_reply(bytes.fromhex(wire), 0x60)


def test_edid_identity() -> None:
    edid = packets.parse_edid(DELL)
    assert (edid.manufacturer, edid.product, edid.serial_number, edid.name, edid.serial) == (
        "DEL", 0xA0B4, 1112557388, "DELL U2415", "7MT0167B2YNL")
    assert DELL[8:10] == bytes.fromhex("10ac")  # "DEL" packed as VESA PNP ids are, as Dell EDIDs start
    with pytest.raises(DdcError, match="checksum"):
        packets.parse_edid(DELL[:127] + bytes([DELL[127] ^ 1]))


def test_the_input_names_are_mccs_values() -> None:
    assert {name: code for name, code in MONITOR_INPUTS.items()} == {i.name.lower(): i.value for i in Input}


SPEC = MonitorSpec(0x11, model="DELL U2415")
FOUND = MonitorObservation("/dev/i2c-4", "DEL DELL U2415 7MT0167B2YNL", 0x0F)


def test_plan_monitor() -> None:
    [step], notes = plan_monitor(SPEC, FOUND)
    assert notes == [] and step.kind is StepKind.MONITOR
    assert dict(step.args) == {"bus": "/dev/i2c-4", "input": 0x11}
    assert step.description == "monitor DEL DELL U2415 7MT0167B2YNL input to hdmi1"
    assert step.undo is not None and dict(step.undo.args) == {"bus": "/dev/i2c-4", "input": 0x0F}
    assert step.undo.description.startswith("monitor input back to dp1 (best effort:")
    assert plan_monitor(MonitorSpec(0x0F), FOUND) == ([], [])
    assert plan_monitor(None, None) == ([], [])


def test_plan_monitor_when_it_does_not_answer_or_is_not_found() -> None:
    quiet = MonitorObservation("/dev/i2c-4", "DEL DELL U2415", None, "no DDC/CI answer on /dev/i2c-4")
    steps, [note] = plan_monitor(SPEC, quiet)
    assert steps == [] and note.startswith("monitor input not switched: no DDC/CI answer on /dev/i2c-4; use its")
    with pytest.raises(PlanError, match=r"^no monitor with model 'X'"):
        plan_monitor(SPEC, MonitorObservation(error="no monitor with model 'X' on any I2C bus (seen: none)"))


def backend(monitor: StandInMonitor, tmp_path: object, **match: str) -> DdcBackend:
    return DdcBackend(**match, bus="/dev/i2c-4",
                      opener=lambda path: DdcMonitorLink(monitor.open(path), sleep=lambda _: None))


def test_switch_and_undo_on_a_monitor_that_answers(tmp_path: object) -> None:
    async def scenario() -> None:
        monitor = StandInMonitor(DELL, input=0x0F)
        ddc = backend(monitor, tmp_path, model="dell u2415", serial="7MT0167B2YNL")
        seen = await ddc.observe()
        assert seen == FOUND
        [step], _ = plan_monitor(SPEC, seen)
        await ddc.apply(step)
        assert monitor.written[-1] == "37: 51 84 03 60 00 11 c9" and monitor.input == 0x11
        assert (await ddc.observe()).input == 0x11
        assert step.undo is not None
        await ddc.apply(step.undo)
        assert monitor.input == 0x0F and monitor.opened == 0

    asyncio.run(scenario())


def test_garbled_replies_are_retried_and_a_wrong_monitor_is_not_matched(tmp_path: object) -> None:
    monitor = StandInMonitor(DELL, input=0x12, garbled=2)
    assert asyncio.run(backend(monitor, tmp_path).observe()).input == 0x12
    assert len([w for w in monitor.written if w.startswith("37: 51 82 01 60")]) == 3
    other = asyncio.run(backend(monitor, tmp_path, model="LG ULTRAGEAR").observe())
    assert other.bus is None and other.error == (
        "no monitor with model 'LG ULTRAGEAR' on /dev/i2c-4 (seen: /dev/i2c-4: DEL DELL U2415 7MT0167B2YNL)")


def test_the_issue_82_monitor(tmp_path: object) -> None:
    """Showing the other GPU, it keeps its EDID but no longer answers DDC/CI."""
    monitor = StandInMonitor(DELL, input=0x11, answers=False)
    seen = asyncio.run(backend(monitor, tmp_path).observe())
    assert (seen.bus, seen.input) == ("/dev/i2c-4", None)
    assert seen.error == "no DDC/CI answer on /dev/i2c-4: Remote I/O error"
    steps, [note] = plan_monitor(MonitorSpec(0x0F), seen)
    assert steps == [] and "use its input button" in note


def test_a_monitor_without_ddc_ci_support(tmp_path: object) -> None:
    monitor = StandInMonitor(DELL)
    link = DdcMonitorLink(monitor.open("/dev/i2c-4"), sleep=lambda _: None)
    with pytest.raises(BackendError) as caught:
        link.get_vcp(0x10)
    assert str(caught.value) == "the monitor does not support VCP 0x10 on /dev/i2c-4 (check its menu for DDC/CI)"
