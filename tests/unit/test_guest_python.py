"""The Python guest variant's inputs: which interpreter python3-minimal stands for, and the
versions of its packages, from `apt-cache show` output as Debian 12 and 13 print it."""

from __future__ import annotations

from pathlib import Path

import pytest

from modeswitch.errors import BackendError
from modeswitch.sandbox.guest_python import MODULE_ARGS, MODULES, package_files, python_packages, python_version

SHOW_12 = """Package: python3-minimal
Version: 3.11.2-1+b1
Pre-Depends: python3.11-minimal (>= 3.11.2-1~)
Depends: dpkg (>= 1.13.20)
"""
SHOW_13 = """Package: python3-minimal
Version: 3.13.5-1
Pre-Depends: python3.13-minimal (>= 3.13.5-1~)
"""
PYTHON = """Package: python3.11-minimal
Version: 3.11.2-6+deb12u9

Package: libpython3.11-minimal
Version: 3.11.2-6+deb12u9

Package: libpython3.11-stdlib
Version: 3.11.2-6+deb12u9
"""


@pytest.mark.parametrize(("show", "version"), [(SHOW_12, "3.11"), (SHOW_13, "3.13")])
def test_interpreter_of_python3_minimal(show: str, version: str) -> None:
    assert python_version(show) == version


def test_no_interpreter_is_one_error() -> None:
    with pytest.raises(BackendError, match="python3-minimal"):
        python_version("Package: python3-minimal\nVersion: 1\n")


def test_package_versions() -> None:
    assert python_packages(PYTHON) == {"python3.11-minimal": "3.11.2-6+deb12u9",
                                       "libpython3.11-minimal": "3.11.2-6+deb12u9",
                                       "libpython3.11-stdlib": "3.11.2-6+deb12u9"}


def test_the_package_is_part_of_the_cache_key(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    before = package_files(tmp_path)
    (tmp_path / "a.py").write_text("x = 2\n")
    assert package_files(tmp_path) != before and list(before) == ["a.py"]


def test_modules_after_their_dependencies() -> None:
    order = {name: n for n, name in enumerate(MODULES)}
    for module, needs in (("usbmon", "usbcore"), ("usb_f_fs", "libcomposite"), ("libcomposite", "configfs"),
                          ("dummy_hcd", "udc-core"), ("xpad", "ff-memless")):
        assert order[needs] < order[module]
    assert set(MODULE_ARGS) <= set(MODULES)
