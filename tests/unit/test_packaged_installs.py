"""With the Debian package's copies in place, `udev-rules --install` and `systemd-unit --install`
write nothing, and name an older copy of their own that would hide the package's."""

from __future__ import annotations

from pathlib import Path

from modeswitch.cli.userfiles import install_unit, udev_rules
from modeswitch.shipped import RULES_NAME


def test_udev_rules_point_at_the_package_and_at_a_copy_that_hides_it(tmp_path: Path) -> None:
    package, etc, modules = tmp_path / "usr-lib", tmp_path / "etc", tmp_path / "modules"
    package.mkdir()
    (package / RULES_NAME).write_text("# the package's\n")
    said = udev_rules(install=True, dest=etc, modules=modules, package=package)
    assert said.splitlines()[0] == f"already installed by the package: {package / RULES_NAME}"
    assert not etc.exists() and not modules.exists()
    etc.mkdir()
    (etc / RULES_NAME).write_text("# from an install before the package\n")
    said = udev_rules(install=True, dest=etc, modules=modules, package=package)
    assert said.splitlines()[1] == f"{etc / RULES_NAME} hides it (same name, read first): remove that copy"


def test_the_unit_is_not_written_a_second_time(tmp_path: Path) -> None:
    package = tmp_path / "usr-lib-systemd-user"
    package.mkdir()
    (package / "modeswitch.service").write_text("[Service]\n")
    said = install_unit(Path("/usr/bin/modeswitch"), tmp_path / "config", package=package)
    assert said.splitlines() == [f"already installed by the package: {package / 'modeswitch.service'}",
                                 "now: systemctl --user daemon-reload && systemctl --user enable --now modeswitch"]
    assert not (tmp_path / "config").exists()


def test_without_the_package_the_unit_is_written(tmp_path: Path) -> None:
    said = install_unit(Path("/usr/bin/modeswitch"), tmp_path / "config", package=tmp_path / "none")
    unit = tmp_path / "config" / "systemd" / "user" / "modeswitch.service"
    assert said.startswith(f"wrote {unit}") and "ExecStart=/usr/bin/modeswitch daemon" in unit.read_text()
