"""doctor's guest lines: the OS and agent version, who is logged in, and per mode whether its
`session: user` actions can run now; nothing when no mode has guest actions."""

from __future__ import annotations

from pathlib import Path

from doctor_machine import Machine

from modeswitch.config.loader import Config
from modeswitch.doctor import guest
from modeswitch.doctor.domain import parse_domain
from modeswitch.doctor.facts import Facts, LibvirtFacts
from modeswitch.doctor.report import Finding, Status
from modeswitch.model import Mode
from modeswitch.parts.guest.spec import GuestAction, GuestObservation, GuestSession

DOMAIN = ("<domain><name>win11</name><devices><channel type='unix'>"
          "<target type='virtio' name='org.qemu.guest_agent.0'/></channel></devices></domain>")
WINDOWS = GuestObservation("connected", "mswindows", "Windows 11 Pro (10.0 build 22631)", "9.2.0",
                           ("DESKTOP-7\\Jürgen",))
USER = GuestSession.USER
TV = Mode("tv", guest=(GuestAction(("SoundVolumeView.exe",), session=USER),
                       GuestAction(("x.exe",), session=USER, user="admin")))
DESK = Mode("desk", guest=(GuestAction(("DisplaySwitch.exe",)),))


def facts(tmp_path: Path, seen: GuestObservation | None, *modes: Mode, active: bool = True) -> Facts:
    config = Config(path=tmp_path / "config.yaml", modes={m.name: m for m in modes})
    libvirt = LibvirtFacts("qemu:///system", "win11", domain=parse_domain(DOMAIN), active=active)
    return Machine(tmp_path).build().facts(config=config, libvirt=libvirt, guest=seen)


def lines(found: list[Finding]) -> list[tuple[str, Status, str]]:
    return [(f.check, f.status, f.message) for f in found]


def test_the_guest_its_users_and_each_modes_session(tmp_path: Path) -> None:
    assert lines(guest.checks(facts(tmp_path, WINDOWS, TV, DESK))) == [
        ("guest.agent", Status.OK, "qemu-guest-agent 9.2.0 answers in Windows 11 Pro (10.0 build 22631)"),
        ("guest.users", Status.OK, "logged in to the guest: DESKTOP-7\\Jürgen"),
        ("guest.session.tv", Status.OK, "mode 'tv': session: user actions can run now, in DESKTOP-7\\Jürgen's "
         "session"),
        ("guest.session.tv", Status.WARN, "mode 'tv': user 'admin' is not logged in to the guest (logged in: "
         "DESKTOP-7\\Jürgen), so its session: user actions cannot run now"),
    ]


def test_nobody_logged_in(tmp_path: Path) -> None:
    found = guest.checks(facts(tmp_path, GuestObservation("connected", "debian", "Debian", "7.2.0", ()), TV))
    assert [f.status for f in found] == [Status.OK, Status.OK, Status.WARN, Status.WARN]
    assert found[1].message == "logged in to the guest: nobody"
    assert found[2].message.startswith("mode 'tv': nobody is logged in to the guest")


def test_vm_off_agent_silent_or_no_guest_actions(tmp_path: Path) -> None:
    off = guest.checks(facts(tmp_path, None, TV, active=False))
    assert lines(off) == [("guest.agent", Status.WARN, "the VM is off: its OS and who is logged in are not known")]
    silent = guest.checks(facts(tmp_path, GuestObservation("disconnected"), TV))
    assert lines(silent) == [("guest.agent", Status.WARN, "the guest agent is disconnected")]
    assert guest.checks(facts(tmp_path, WINDOWS, Mode("tv"))) == []
    unanswered = GuestObservation("connected", agent_version="9.2.0", error="guest-get-users: timeout")
    assert [f.status for f in guest.checks(facts(tmp_path, unanswered, DESK))] == [Status.OK, Status.WARN]
