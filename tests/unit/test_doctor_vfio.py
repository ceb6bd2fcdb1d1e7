"""vfio checks on fixture machines: one broken thing per test."""

from __future__ import annotations

from pathlib import Path

from doctor_machine import FIXTURES, PCI, Machine

from modeswitch.doctor import vfio
from modeswitch.doctor.report import Finding, Status


def found(findings: list[Finding], check: str) -> list[tuple[Status, str]]:
    return [(f.status, f.message) for f in findings if f.check == check]


def test_a_ready_machine_passes_every_vfio_check(tmp_path: Path) -> None:
    findings = vfio.checks(Machine(tmp_path).build().facts())
    assert [(f.check, f.status) for f in findings] == [
        ("vfio.iommu", Status.OK), ("vfio.hostdev", Status.OK), ("vfio.hostdev", Status.OK),
        ("vfio.group", Status.OK), ("vfio.gpu-audio", Status.OK)]
    assert "4 groups" in findings[0].message
    assert "0000:01:00.0 [10de:2489] driver vfio-pci: bound to vfio-pci" in findings[1].message


def test_iommu_off_names_the_kernel_option_for_this_cpu(tmp_path: Path) -> None:
    machine = Machine(tmp_path, pci={}).build()
    machine.write("proc/cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet\n")
    finding = vfio.iommu(machine.facts())
    assert finding.status is Status.FAIL
    assert finding.fix is not None and "amd_iommu=on iommu=pt" in finding.fix


def test_iommu_options_given_but_no_groups_points_at_the_firmware(tmp_path: Path) -> None:
    finding = vfio.iommu(Machine(tmp_path, pci={}).build().facts())
    assert finding.status is Status.FAIL
    assert finding.fix is not None and "firmware" in finding.fix and "amd_iommu=on" in finding.fix


def test_unmanaged_hostdev_on_the_host_driver_fails_with_the_ids(tmp_path: Path) -> None:
    pci = dict(PCI, **{"0000:01:00.0": ("0x030000", "0x10de", "0x2489", "nvidia", "1")})
    machine = Machine(tmp_path, pci=pci, domain_xml=(FIXTURES / "win10-shm.xml").read_text()).build()
    hostdev = [f for f in vfio.checks(machine.facts()) if f.check == "vfio.hostdev"]
    assert [f.status for f in hostdev] == [Status.FAIL]
    assert "driver nvidia" in hostdev[0].message
    assert hostdev[0].fix is not None and "vfio-pci.ids=10de:2489" in hostdev[0].fix


def test_managed_hostdev_on_the_host_driver_is_fine(tmp_path: Path) -> None:
    pci = dict(PCI, **{"0000:01:00.0": ("0x030000", "0x10de", "0x2489", "nouveau", "1"),
                       "0000:01:00.1": ("0x040300", "0x10de", "0x228b", "snd_hda_intel", "1")})
    findings = vfio.checks(Machine(tmp_path, pci=pci).build().facts())
    assert [s for s, _ in found(findings, "vfio.hostdev")] == [Status.OK, Status.OK]
    assert all("managed='yes'" in m for _, m in found(findings, "vfio.hostdev"))


def test_a_group_with_a_host_device_is_not_viable(tmp_path: Path) -> None:
    pci = dict(PCI, **{"0000:02:00.0": ("0x010802", "0x144d", "0xa808", "nvme", "1")})
    group = found(vfio.checks(Machine(tmp_path, pci=pci).build().facts()), "vfio.group")
    assert len(group) == 1 and group[0][0] is Status.FAIL
    assert "0000:02:00.0 [144d:a808] driver nvme" in group[0][1]
    assert "0000:00:03.1" not in group[0][1]  # the bridge in the group is no obstacle


def test_gpu_audio_function_left_on_the_host_warns(tmp_path: Path) -> None:
    pci = dict(PCI, **{"0000:01:00.1": ("0x040300", "0x10de", "0x228b", "snd_hda_intel", "1")})
    machine = Machine(tmp_path, pci=pci, domain_xml=(FIXTURES / "win10-shm.xml").read_text()).build()
    findings = vfio.checks(machine.facts())
    assert found(findings, "vfio.gpu-audio")[0][0] is Status.WARN
    # and the same function breaks the group: both are reported
    assert found(findings, "vfio.group")[0][0] is Status.FAIL


def test_hostdev_missing_from_the_host(tmp_path: Path) -> None:
    pci = {k: v for k, v in PCI.items() if not k.startswith("0000:01:")}
    hostdev = found(vfio.checks(Machine(tmp_path, pci=pci).build().facts()), "vfio.hostdev")
    assert [s for s, _ in hostdev] == [Status.FAIL, Status.FAIL]
    assert "not on this host" in hostdev[0][1]


def test_a_domain_without_pci_hostdevs_warns(tmp_path: Path) -> None:
    xml = "<domain type='kvm'><name>plain</name><devices/></domain>"
    findings = vfio.checks(Machine(tmp_path, domain_xml=xml).build().facts())
    assert found(findings, "vfio.hostdev")[0][0] is Status.WARN
