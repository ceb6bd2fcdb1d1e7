"""The `tv` part of a mode file: what it reads, and errors with file:line:col and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from modeswitch.config.modes import load_mode, load_modes
from modeswitch.errors import ConfigError
from modeswitch.parts.monitor.spec import MonitorSpec
from modeswitch.parts.tv.spec import TvPower, TvSpec


def mode_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tv.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(("text", "tv"), [
    ("tv: {power: on, input: active}\n", TvSpec("/dev/cec0", TvPower.ON, True)),
    ("tv:\n  power: standby\n", TvSpec("/dev/cec0", TvPower.STANDBY)),
    ("tv: {device: /dev/cec1, input: active, physical_address: '2.1.0.0'}\n",
     TvSpec("/dev/cec1", None, True, 0x2100)),
])
def test_tv_part(tmp_path: Path, text: str, tv: TvSpec) -> None:
    mode, _ = load_mode(mode_file(tmp_path, text))
    assert mode.tv == tv


@pytest.mark.parametrize(("text", "where", "message"), [
    ("tv: {power: of}\n", "1:13", "unknown tv power 'of'"),
    ("vm: any\ntv:\n  input: hdmi1\n", "3:10", "unknown tv input 'hdmi1' (the only input is 'active'"),
    ("tv: {input: active, physical_address: 1.0.0}\n", "1:39", "'1.0.0' is not a physical address"),
    ("tv: {input: active, physical_address: 0.0.0.0}\n", "1:39", "0.0.0.0 is not a source's address"),
    ("tv: {device: cec0, power: on}\n", "1:14", "'cec0' is not a device path"),
    ("tv: {device: /dev/cec0}\n", "1:5", "tv needs 'power' or 'input'"),
    ("tv: {powr: on}\n", "1:6", "unknown key 'powr'"),
])
def test_tv_errors(tmp_path: Path, text: str, where: str, message: str) -> None:
    path = mode_file(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_mode(path)
    assert str(caught.value).startswith(f"{path}:{where}: {message}")


@pytest.mark.parametrize(("text", "monitor"), [
    ("monitor: {input: hdmi1, model: DELL U2415}\n", MonitorSpec(0x11, "DELL U2415")),
    ("monitor: {input: DP2, serial: 7MT0167B2YNL, bus: /dev/i2c-4}\n",
     MonitorSpec(0x10, None, "7MT0167B2YNL", "/dev/i2c-4")),
    ("monitor:\n  input: 0x1b\n", MonitorSpec(0x1B)),
])
def test_monitor_part(tmp_path: Path, text: str, monitor: MonitorSpec) -> None:
    mode, _ = load_mode(mode_file(tmp_path, text))
    assert mode.monitor == monitor


@pytest.mark.parametrize(("text", "where", "message"), [
    ("monitor: {input: hdmi3}\n", "1:18", "unknown monitor input 'hdmi3' (did you mean 'hdmi2'?)"),
    ("monitor: {input: usb-c}\n", "1:18", "unknown monitor input 'usb-c' (hdmi1, hdmi2, dp1"),
    ("monitor: {input: 0x100}\n", "1:18", "monitor input 0x100 is out of range"),
    ("monitor: {model: X}\n", "1:10", "monitor needs 'input'"),
    ("monitor: {input: dp1, bus: /dev/cec0}\n", "1:28", "'/dev/cec0' is not an I2C bus"),
])
def test_monitor_errors(tmp_path: Path, text: str, where: str, message: str) -> None:
    path = mode_file(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_mode(path)
    assert str(caught.value).startswith(f"{path}:{where}: {message}")


@pytest.mark.parametrize(("tv", "other", "same"), [
    ("tv: {power: on}\n", "tv: {device: /dev/cec1, power: standby}\n", "tv: {power: standby}\n"),
    ("monitor: {input: dp2, model: DELL U2415}\n", "monitor: {input: dp1, model: LG 27GL850}\n",
     "monitor: {input: dp1, model: DELL U2415}\n"),
])
def test_modes_must_name_one_adapter_and_one_monitor(tmp_path: Path, tv: str, other: str, same: str) -> None:
    (tmp_path / "a.yaml").write_text(tv)
    (tmp_path / "b.yaml").write_text(other)
    part = "tv" if tv.startswith("tv") else "monitor"
    with pytest.raises(ConfigError) as caught:
        load_modes((tmp_path,))
    assert str(caught.value).startswith(
        f"{tmp_path / 'b.yaml'}: mode 'b' names another {part} than mode 'a' ({tmp_path / 'a.yaml'}) (use the same")
    (tmp_path / "b.yaml").write_text(same)
    assert set(load_modes((tmp_path,))) == {"a", "b"}
