"""`modeswitch status` as text: the thin client prints it on every status-bar poll, so this
module imports nothing but the screens' renderer."""

from __future__ import annotations

from modeswitch.cli.render_screens import print_screens

TYPE_CHECKING = False  # typing itself is a few ms the thin client does without
if TYPE_CHECKING:
    from typing import Any


def print_status(status: dict[str, Any]) -> None:
    daemon = status.get("daemon")
    where = f"daemon pid {daemon['pid']}" if daemon else "no daemon (observed directly)"
    print(f"mode:    {status.get('mode') or '-'} ({status.get('phase')}); {where}")
    if status.get("target"):
        print(f"target:  {status['target']}" + (f", then {status['pending']}" if status.get("pending") else ""))
    if status.get("error"):
        print(f"error:   {status['error']}")
    seat = status.get("seat") or {}
    _print_vm(seat.get("vm"))
    _print_guest(seat.get("guest"))
    _print_audio(seat.get("audio"))
    print_screens(seat)
    for pad in status.get("pads") or []:
        _print_pad(pad)
    viewer = seat.get("viewer")
    if viewer is not None:
        state = f"running (pid {viewer['pid']})" if viewer["running"] else "stopped"
        print(f"viewer:  {state}")


def _print_pad(pad: dict[str, Any]) -> None:
    """Where the pad's buttons are read from: host evdev, usbmon (in VM), or not readable."""
    where = pad.get("path") or f"usb {pad.get('bus')}.{pad.get('device')}"
    source = pad.get("source", "host evdev")
    protocol = f", {pad['protocol']}" if pad.get("protocol") and not pad.get("reason") else ""
    print(f"pad:     {pad['name']} ({pad['vendor']:04x}:{pad['product']:04x}) {where}: {source}{protocol}")
    if pad.get("adapter"):  # a pad behind a wireless adapter: which adapter, and how it was told apart
        told = f"; {pad['link']}, found by {pad['how']}" if pad.get("how") else ""
        print(f"         behind {pad['adapter']}{told}")
    if pad.get("note") and pad.get("adapter"):
        print(f"         {pad['note']}")
    if pad.get("reason"):
        print(f"         {pad['reason']}; fix: {pad.get('fix')}")


def _print_vm(vm: dict[str, Any] | None) -> None:
    if vm is None:
        return
    if not vm.get("connected"):
        print(f"vm:      {vm['domain']}: not connected ({vm.get('error') or 'unknown'})")
        return
    print(f"vm:      {vm['domain']} {vm['state']}")
    if vm.get("agent") in ("connected", "disconnected"):  # a domain with the agent's channel
        print(f"  agent  guest agent {vm['agent']}")
    for usb in vm.get("usb") or []:
        print(f"  usb    {usb['vendor']:04x}:{usb['product']:04x} bus {usb.get('bus')} dev {usb.get('device')}")
    for entry in vm.get("inputs") or []:
        print(f"  input  {entry['path']}")


def _print_guest(guest: dict[str, Any] | None) -> None:
    """The guest as its agent tells it, and whether `session: user` actions can run now."""
    if guest is None or guest.get("agent") != "connected":
        return
    agent = f"agent {guest['agent_version']}" if guest.get("agent_version") else "agent"
    print(f"guest:   {guest.get('os_name') or 'unknown OS'}, {agent}")
    users = guest.get("users")
    if users is None:
        print(f"  users  not known ({guest.get('error') or 'the agent did not say'})")
    elif not users:
        print("  users  nobody logged in: session: user actions cannot run now")
    elif len(users) == 1:
        print(f"  users  {users[0]} logged in: session: user actions can run now")
    else:
        print(f"  users  {', '.join(users)} logged in: session: user actions need user: to say whose session")


def _print_audio(audio: dict[str, Any] | None) -> None:
    if audio is None:
        return
    if not audio.get("connected"):
        print(f"audio:   not connected to {audio.get('server')} ({audio.get('error') or 'unknown'})")
        return
    software = f" ({audio['software']})" if audio.get("software") else ""
    print(f"audio:   default {audio.get('default_sink')}{software}")
    for stream in audio.get("streams") or []:
        print(f"  stream {stream['name']} -> {stream['sink']}")
