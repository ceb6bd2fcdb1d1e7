"""Looking Glass checks on fixture machines: kvmfr and /dev/shm variants, one fault each."""

from __future__ import annotations

from pathlib import Path

import pytest
from doctor_machine import FIXTURES, KVM, LIBVIRT_QEMU, USER, Machine

from modeswitch.config.loader import load_config
from modeswitch.doctor import lookingglass
from modeswitch.doctor.report import Finding, Status
from modeswitch.doctor.run import session_of


def by_check(findings: list[Finding]) -> dict[str, Finding]:
    return {f.check: f for f in findings}


@pytest.mark.parametrize(("width", "height", "mib"), [(1920, 1080, 32), (2560, 1440, 64), (3440, 1440, 64),
                                                      (3840, 2160, 128), (1280, 720, 32)])
def test_required_size_follows_the_looking_glass_rule(width: int, height: int, mib: int) -> None:
    assert lookingglass.required_mib(width, height) == mib


@pytest.mark.parametrize(("text", "listed"), [
    ('cgroup_device_acl = [\n "/dev/null", "/dev/kvm",\n "/dev/kvmfr0"\n]\n', ["/dev/null", "/dev/kvm", "/dev/kvmfr0"]),
    ('#cgroup_device_acl = [\n#    "/dev/null", "/dev/kvmfr0"\n#]\n', None),
    ('cgroup_device_acl = [ "/dev/null", # "/dev/kvmfr0",\n "/dev/kvm" ]', ["/dev/null", "/dev/kvm"]),
    ('user = "qemu"\n', None),
])
def test_cgroup_device_acl_is_read_like_libvirt_reads_it(text: str, listed: list[str] | None) -> None:
    assert lookingglass.cgroup_device_acl(text) == listed


def test_kvmfr_machine_ready(tmp_path: Path) -> None:
    findings = lookingglass.checks(Machine(tmp_path).build().facts())
    assert {f.check: f.status for f in findings} == {
        "lg.client": Status.OK, "lg.shmem": Status.OK, "lg.kvmfr": Status.OK, "lg.kvmfr-size": Status.OK,
        "lg.kvmfr-dev": Status.OK, "lg.cgroup-acl": Status.OK}
    assert "version B6" in by_check(findings)["lg.client"].message


def test_client_not_on_path(tmp_path: Path) -> None:
    finding = by_check(lookingglass.checks(Machine(tmp_path, lg_help=None).build().facts()))["lg.client"]
    assert finding.status is Status.FAIL and "not on PATH" in finding.message


def test_kvmfr_not_loaded(tmp_path: Path) -> None:
    machine = Machine(tmp_path).build()
    machine.write("proc/modules", "vfio_pci 16384 0 - Live 0x0\n")
    (machine.sys / "module" / "kvmfr" / "parameters" / "static_size_mb").unlink()
    (machine.sys / "module" / "kvmfr" / "parameters").rmdir()
    (machine.sys / "module" / "kvmfr").rmdir()
    finding = by_check(lookingglass.checks(machine.facts()))["lg.kvmfr"]
    assert finding.status is Status.FAIL and finding.fix is not None and "static_size_mb=32" in finding.fix


def test_kvmfr_too_small_for_the_resolution(tmp_path: Path) -> None:
    findings = by_check(lookingglass.checks(Machine(tmp_path).build().facts(resolution=(2560, 1440))))
    assert findings["lg.kvmfr-size"].status is Status.FAIL
    assert "needs 64 MiB" in findings["lg.kvmfr-size"].message
    assert findings["lg.shmem"].status is Status.FAIL  # size=32M in the domain too


def test_kvmfr_device_not_accessible(tmp_path: Path) -> None:
    machine = Machine(tmp_path).build()
    machine.write("dev/kvmfr0", "", 0o600, (0, 0))
    finding = by_check(lookingglass.checks(machine.facts()))["lg.kvmfr-dev"]
    assert finding.status is Status.FAIL and "udev-rules --install" in (finding.fix or "")


def test_kvmfr_device_by_group(tmp_path: Path) -> None:
    machine = Machine(tmp_path).build()
    machine.write("dev/kvmfr0", "", 0o660, (0, KVM))
    facts = machine.facts()
    assert by_check(lookingglass.checks(facts))["lg.kvmfr-dev"].status is Status.FAIL
    facts = machine.facts(roots=machine.roots(gids=frozenset({USER, KVM})))
    assert by_check(lookingglass.checks(facts))["lg.kvmfr-dev"].status is Status.OK


@pytest.mark.parametrize("conf", ['cgroup_device_acl = [ "/dev/null", "/dev/kvm" ]\n',
                                  '# cgroup_device_acl = [ "/dev/kvmfr0" ]\n'])
def test_kvmfr_missing_from_cgroup_device_acl(tmp_path: Path, conf: str) -> None:
    machine = Machine(tmp_path).build()
    machine.write("etc/libvirt/qemu.conf", conf)
    finding = by_check(lookingglass.checks(machine.facts()))["lg.cgroup-acl"]
    assert finding.status is Status.FAIL and '"/dev/kvmfr0"' in (finding.fix or "")


def test_session_uri_has_no_device_cgroup(tmp_path: Path) -> None:
    machine = Machine(tmp_path, uri="qemu:///session").build()
    machine.write("etc/libvirt/qemu.conf", "")
    assert "lg.cgroup-acl" not in by_check(lookingglass.checks(machine.facts()))


def test_no_ivshmem_device_in_the_domain(tmp_path: Path) -> None:
    xml = (FIXTURES / "win11-kvmfr.xml").read_text().split("<qemu:commandline>")[0] + "</domain>"
    finding = by_check(lookingglass.checks(Machine(tmp_path, domain_xml=xml).build().facts()))["lg.shmem"]
    assert finding.status is Status.FAIL and "<shmem name='looking-glass'>" in (finding.fix or "")


def test_shm_file_owned_by_qemu(tmp_path: Path) -> None:
    machine = Machine(tmp_path, domain_xml=(FIXTURES / "win10-shm.xml").read_text()).build()
    machine.write("dev/shm/looking-glass", "", 0o600, (LIBVIRT_QEMU, LIBVIRT_QEMU))
    finding = by_check(lookingglass.checks(machine.facts()))["lg.shm-file"]
    assert finding.status is Status.FAIL and "uid 64055" in finding.message
    assert "f /dev/shm/looking-glass 0660 1000 kvm -" in (finding.fix or "")


def test_shm_file_missing_and_present(tmp_path: Path) -> None:
    machine = Machine(tmp_path, domain_xml=(FIXTURES / "win10-shm.xml").read_text()).build()
    assert by_check(lookingglass.checks(machine.facts()))["lg.shm-file"].status is Status.WARN
    machine.write("dev/shm/looking-glass", "", 0o660, (USER, KVM))
    findings = by_check(lookingglass.checks(machine.facts()))
    assert findings["lg.shm-file"].status is Status.OK
    assert "lg.kvmfr" not in findings


def test_no_mode_runs_the_viewer(tmp_path: Path) -> None:
    machine = Machine(tmp_path, lg_help=None).build()
    machine.write("cfg/modes/desk.yaml", "name: desk\nlooking_glass: false\n")
    findings = lookingglass.checks(machine.facts())
    assert [(f.check, f.status) for f in findings] == [("lg.client", Status.OK)]


def _with_viewer(machine: Machine, argv: list[str] | None) -> object:
    desk = "name: desk\nlooking_glass: " + ("true" if argv is None else f"{{run: true, argv: {argv}}}") + "\n"
    machine.write("cfg/modes/desk.yaml", desk)
    return load_config(machine.root / "cfg" / "config.yaml", required=True)


@pytest.mark.parametrize(("session", "argv", "status", "text"), [
    # the shipped default argv is [looking-glass-client, -F]: on KDE Wayland that opens a window
    ("kde", None, Status.WARN, "ignores -F without a window size and position (Looking Glass issues 1297, 1050): "
                               "mode desk"),
    ("kde", ["looking-glass-client", "win:fullScreen=yes"], Status.WARN, "mode desk"),
    ("kde", ["looking-glass-client", "-F", "win:size=2560x1440", "win:position=0x0"], Status.OK,
     "given its size and position"),
    ("kde", ["looking-glass-client", "-F", "win:size=2560x1440"], Status.WARN, "mode desk"),
    ("kde", ["looking-glass-client", "win:size=2560x1440"], None, ""),  # not fullscreen: nothing to say
    ("gnome", ["looking-glass-client", "-F"], None, ""),
    ("wlroots", ["looking-glass-client", "-F"], None, ""),
    (None, ["looking-glass-client", "-F"], None, ""),
])
def test_fullscreen_on_kde_wayland_needs_size_and_position(tmp_path: Path, session: str | None,
                                                            argv: list[str] | None, status: Status | None,
                                                            text: str) -> None:
    machine = Machine(tmp_path).build()
    config = _with_viewer(machine, argv)
    findings = by_check(lookingglass.checks(machine.facts(config=config, session=session, resolution=(2560, 1440))))
    finding = findings.get("lg.kde-fullscreen")
    assert (finding.status if finding else None) is status
    if finding is not None:
        assert text in finding.message
        if status is Status.WARN:
            assert finding.fix == ("add win:size=2560x1440 win:position=0x0 to looking_glass.argv after -F "
                                   "(the desk monitor's size and its place in the layout)")


@pytest.mark.parametrize(("env", "session"), [
    ({"WAYLAND_DISPLAY": "wayland-0", "XDG_CURRENT_DESKTOP": "KDE"}, "kde"),
    ({"DISPLAY": ":0", "XDG_SESSION_TYPE": "x11", "XDG_CURRENT_DESKTOP": "KDE"}, "x11"),  # Plasma on X11: -F works
    ({}, None),
])
def test_the_doctor_reads_the_session_from_the_environment(env: dict[str, str], session: str | None) -> None:
    assert session_of(env) == session
