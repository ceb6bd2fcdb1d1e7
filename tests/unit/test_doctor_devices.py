"""Device, udev, usbmon, libvirt-domain and user-unit checks on fixture machines."""

from __future__ import annotations

from pathlib import Path

from doctor_machine import FIXTURES, KEYBOARD, MOUSE, PAD, USER, Machine

from modeswitch.doctor import devices, service, vm
from modeswitch.doctor.facts import CommandResult, LibvirtFacts
from modeswitch.doctor.report import Finding, Status, exit_code, render_json, render_text


def statuses(findings: list[Finding]) -> list[tuple[str, Status]]:
    return [(f.check, f.status) for f in findings]


def test_devices_ready(tmp_path: Path) -> None:
    findings = devices.checks(Machine(tmp_path).build().facts())
    assert statuses(findings) == [("input.pads", Status.OK), ("input.mode", Status.OK), ("input.mode", Status.OK),
                                  ("udev.rules", Status.OK), ("usbmon", Status.OK)]
    assert PAD in findings[0].message


def test_pad_not_readable(tmp_path: Path) -> None:
    machine = Machine(tmp_path).build()
    facts = machine.facts(roots=machine.roots(gids=frozenset({USER})))
    pads = devices.checks(facts)[0]
    assert pads.status is Status.FAIL and PAD in pads.message and "udev-rules" in (pads.fix or "")


def test_no_pad_connected_but_a_combo_wants_one(tmp_path: Path) -> None:
    machine = Machine(tmp_path).build()
    (machine.dev / "input" / "by-id" / PAD).unlink()
    assert devices.checks(machine.facts())[0].status is Status.WARN


def test_mode_keyboard_missing_and_mouse_unreadable(tmp_path: Path) -> None:
    machine = Machine(tmp_path).build()
    (machine.root / KEYBOARD.removeprefix("/")).unlink()
    machine.write("dev/input/event4", "", 0o600, (0, 0))
    inputs = [f for f in devices.checks(machine.facts()) if f.check == "input.mode"]
    assert [(f.status, f.message.split(": ", 1)[1]) for f in inputs] == [
        (Status.FAIL, f"{MOUSE} is not readable by uid 1000, so a held key cannot be seen before the grab"),
        (Status.FAIL, f"{KEYBOARD} does not exist")]


def test_udev_rules_missing_or_stale(tmp_path: Path) -> None:
    machine = Machine(tmp_path).build()
    rules = machine.etc / "udev" / "rules.d" / "70-modeswitch.rules"
    rules.write_text("# an older version\n")
    assert [f.status for f in devices.checks(machine.facts()) if f.check == "udev.rules"] == [Status.WARN]
    rules.unlink()
    finding = next(f for f in devices.checks(machine.facts()) if f.check == "udev.rules")
    assert finding.status is Status.WARN and "not installed" in finding.message


def test_usbmon_missing_or_unreadable_for_the_tv_combo(tmp_path: Path) -> None:
    machine = Machine(tmp_path).build()
    machine.write("dev/usbmon0", "", 0o600, (0, 0))
    assert next(f for f in devices.checks(machine.facts()) if f.check == "usbmon").status is Status.WARN
    (machine.dev / "usbmon0").unlink()
    finding = next(f for f in devices.checks(machine.facts()) if f.check == "usbmon")
    assert finding.status is Status.WARN and "modprobe usbmon" in (finding.fix or "")


def test_static_evdev_of_handed_over_inputs_warns(tmp_path: Path) -> None:
    findings = vm.checks(Machine(tmp_path).build().facts())
    assert statuses(findings) == [("libvirt.connect", Status.OK), ("libvirt.rights", Status.OK),
                                  ("libvirt.domain", Status.OK), ("vm.agent", Status.OK), ("vm.evdev", Status.WARN)]
    assert KEYBOARD in findings[-1].message and MOUSE in findings[-1].message


def test_no_agent_channel_and_no_static_inputs(tmp_path: Path) -> None:
    machine = Machine(tmp_path, domain_xml=(FIXTURES / "win10-shm.xml").read_text()).build()
    assert statuses(vm.checks(machine.facts()))[-2:] == [("vm.agent", Status.WARN), ("vm.evdev", Status.OK)]


def test_libvirt_read_only_and_unreachable(tmp_path: Path) -> None:
    machine = Machine(tmp_path).build()
    facts = machine.facts()
    read_only = vm.checks(machine.facts(libvirt=LibvirtFacts("qemu:///system", "win11", read_only=True,
                                                             domain=facts.libvirt.domain)))
    assert statuses(read_only)[1] == ("libvirt.rights", Status.FAIL)
    error = "permission denied opening qemu:///system: authentication unavailable"
    down = vm.checks(machine.facts(libvirt=LibvirtFacts("qemu:///system", "win11", error=error)))
    assert statuses(down) == [("libvirt.connect", Status.FAIL)] and "usermod -aG libvirt" in (down[0].fix or "")
    machine.write("cfg/modes/desk.yaml", "name: desk\nlooking_glass: true\n")
    machine.write("cfg/modes/tv.yaml", "name: tv\nlooking_glass: false\n")
    unneeded = vm.checks(machine.facts(libvirt=LibvirtFacts("qemu:///system", "win11", error=error)))
    assert statuses(unneeded) == [("libvirt.connect", Status.WARN)] and "no mode needs the VM" in unneeded[0].message
    missing = vm.checks(machine.facts(libvirt=LibvirtFacts("qemu:///system", "win11",
                                                           domain_error="domain 'win11' is not defined")))
    assert statuses(missing)[-1] == ("libvirt.domain", Status.FAIL)


def unit(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.check == "systemd.unit"]


def test_user_unit_states(tmp_path: Path) -> None:
    machine = Machine(tmp_path).build()
    assert statuses(unit(service.checks(machine.facts()))) == [("systemd.unit", Status.OK)]
    disabled = unit(service.checks(machine.facts(unit_enabled=CommandResult(1, "disabled"))))
    assert disabled[0].status is Status.WARN and "disabled" in disabled[0].message
    failed = unit(service.checks(machine.facts(unit_active=CommandResult(3, "failed"))))
    assert failed[0].status is Status.WARN and "journalctl" in (failed[0].fix or "")
    no_manager = unit(service.checks(machine.facts(unit_enabled=CommandResult(
        1, "Failed to connect to bus: No medium found"))))
    assert no_manager[0].status is Status.WARN and "cannot be asked" in no_manager[0].message
    (machine.root / "home" / ".config" / "systemd" / "user" / "modeswitch.service").unlink()
    assert "not installed" in unit(service.checks(machine.facts()))[0].message


def test_notification_server(tmp_path: Path) -> None:
    machine = Machine(tmp_path).build()
    def notices(result: CommandResult) -> Finding:
        return next(f for f in service.checks(machine.facts(notifications=result)) if f.check == "notifications")

    shown = notices(CommandResult(0, "dunst 1.9.0 (knopwob)"))
    assert (shown.status, shown.message) == (Status.OK, "notification server: dunst 1.9.0 (knopwob)")
    missing = notices(CommandResult(None, error="no session bus (DBUS_SESSION_BUS_ADDRESS is not set)"))
    assert missing.status is Status.WARN and "enabled: false" in (missing.fix or "")
    machine.write("cfg/config.yaml", "notifications:\n  enabled: false\n")
    off = notices(CommandResult(None, error="off"))
    assert off.status is Status.OK and "off" in off.message


def test_report_renders_and_exit_code_counts_only_failures(tmp_path: Path) -> None:
    findings = [*vm.checks(Machine(tmp_path).build().facts())]
    assert exit_code(findings) == 0  # a warning is advice
    text = render_text(findings)
    assert text.splitlines()[-1].startswith("warn  vm.evdev") and "-> fix: virsh edit" in text
    assert '"warn": 1' in render_json(findings)
    assert exit_code([*findings, Finding("x", Status.FAIL, "broken", "mend it")]) == 1


def test_a_broken_config_is_one_failing_line_and_the_rest_still_runs(tmp_path: Path) -> None:
    from modeswitch.doctor.run import diagnose, load

    machine = Machine(tmp_path).build()
    machine.write("cfg/modes/tv.yaml", "vm: sometimes\n")
    config, finding = load(machine.root / "cfg" / "config.yaml")
    assert finding.status is Status.FAIL and "tv.yaml:1:5" in finding.message
    assert config.modes == {}
    findings = diagnose(machine.facts(config=config))
    assert {f.check for f in findings} >= {"vfio.iommu", "libvirt.connect", "udev.rules", "systemd.unit"}
    assert not [f for f in findings if f.check.endswith(".error")]


def test_no_agent_channel_fails_when_a_mode_runs_guest_actions(tmp_path: Path) -> None:
    machine = Machine(tmp_path, domain_xml=(FIXTURES / "win10-shm.xml").read_text()).build()
    machine.write("cfg/modes/tv.yaml", "vm: running\nguest:\n  - argv: [DisplaySwitch.exe, /external]\n")
    finding = next(f for f in vm.checks(machine.facts()) if f.check == "vm.agent")
    assert finding.status is Status.FAIL and "tv run guest actions" in finding.message
    assert "name='org.qemu.guest_agent.0'" in (finding.fix or "")
