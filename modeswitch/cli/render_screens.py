"""`modeswitch status` lines for the screens: the outputs, the TV over CEC, the monitor's input."""

from __future__ import annotations

TYPE_CHECKING = False  # the thin client renders through this module: no typing import
if TYPE_CHECKING:
    from typing import Any


_POWER = {"on": "on", "standby": "standby", "to_on": "waking up", "to_standby": "going to standby"}


def print_screens(seat: dict[str, Any]) -> None:
    _print_display(seat.get("display"))
    _print_tv(seat.get("tv"))
    _print_monitor(seat.get("monitor"))


def _print_display(display: dict[str, Any] | None) -> None:
    if display is None:
        return
    lit = [o for o in display.get("outputs") or [] if o.get("enabled")]
    if not lit:
        print("display: no output lit")
    for output in lit:
        where = f" right of {output['right_of']}" if output.get("right_of") else ""
        primary = " primary" if output.get("primary") else ""
        print(f"display: {output['output']} {output.get('mode') or '?'}{where}{primary}")


def _print_tv(tv: dict[str, Any] | None) -> None:
    if tv is None:
        return
    if tv.get("error"):
        print(f"tv:      {tv['error']}")
        return
    power = _POWER.get(tv.get("power") or "", "did not answer")
    source = tv.get("active_source")
    showing = f"; showing {_dotted(source)}" if source is not None else ""
    mine = tv.get("physical_address")
    here = f" (this PC: {_dotted(mine)})" if mine is not None else ""
    print(f"tv:      {power}{showing}{here} via {tv['device']}")


def _print_monitor(monitor: dict[str, Any] | None) -> None:
    if monitor is None:
        return
    if monitor.get("input") is None:
        print(f"monitor: {monitor.get('name') or '?'}: {monitor.get('error') or 'unknown'}")
        return
    from modeswitch.parts.monitor.spec import MONITOR_INPUTS  # only when shown: keeps the CLI start small

    names = {code: name for name, code in MONITOR_INPUTS.items()}
    shown = names.get(monitor["input"], f"0x{monitor['input']:02x}")
    print(f"monitor: {monitor['name']} shows {shown} (DDC/CI on {monitor['bus']})")


def _dotted(address: int) -> str:
    return ".".join(f"{(address >> shift) & 0xF:x}" for shift in (12, 8, 4, 0))
