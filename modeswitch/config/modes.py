"""Mode files (modes/*.yaml) → Mode objects, one reader per part of a mode."""

from __future__ import annotations

from pathlib import Path

from modeswitch.config.screens import check_one_adapter, read_monitor, read_tv
from modeswitch.config.yamlnodes import Node, read_document
from modeswitch.errors import ConfigError
from modeswitch.model import (
    GAMEPAD,
    TOGGLE,
    AudioTarget,
    EvdevInput,
    GuestAction,
    Hook,
    Hooks,
    Mode,
    OutputSetting,
    SinkMatchBy,
    UsbMatch,
    ViewerSpec,
    VmPower,
    WhenMissing,
)
from modeswitch.suggest import suggest

_MODE_KEYS = {"name", "vm", "usb", "inputs", "audio", "looking_glass", "display", "tv", "monitor", "hooks", "guest"}


def load_modes(dirs: tuple[Path, ...]) -> dict[str, Mode]:
    modes: dict[str, Mode] = {}
    for directory in dirs:
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml")):
            mode, name_node = load_mode(path)
            if mode.name in modes:
                other = modes[mode.name].source
                message = f"mode '{mode.name}' is already defined in {other}"
                if name_node is not None:
                    raise name_node.error(message, "give each mode a unique name")
                raise ConfigError(str(path), 1, 1, message, "rename the file or set name:")
            modes[mode.name] = mode
    check_one_adapter(list(modes.values()))
    return modes


def load_mode(path: Path) -> tuple[Mode, Node | None]:
    root = read_document(path)
    if root is None or root.is_null:
        raise ConfigError(str(path), 1, 1, "the mode file is empty", "see modes/tv.yaml")
    keys = root.mapping(_MODE_KEYS)
    name = keys["name"].string() if "name" in keys else path.stem
    if name == TOGGLE or not name.replace("-", "").replace("_", "").isalnum():
        node = keys.get("name", root)
        raise node.error(f"'{name}' cannot be a mode name", "use letters, digits, - and _")
    mode = Mode(
        name=name,
        source=path,
        vm=_read_vm(keys["vm"]) if "vm" in keys else None,
        usb=tuple(_read_usb(i, n) for n, i in enumerate(keys["usb"].items())) if "usb" in keys else None,
        inputs=_read_inputs(keys["inputs"]) if "inputs" in keys else None,
        audio=_read_audio(keys["audio"]) if "audio" in keys and not keys["audio"].is_null else None,
        viewer=_read_viewer(keys["looking_glass"]) if "looking_glass" in keys else None,
        display=tuple(_read_output(i) for i in keys["display"].items()) if "display" in keys else None,
        tv=read_tv(keys["tv"]) if "tv" in keys else None,
        monitor=read_monitor(keys["monitor"]) if "monitor" in keys else None,
        hooks=_read_hooks(keys["hooks"]) if "hooks" in keys else Hooks(),
        guest=tuple(_read_guest_action(i) for i in keys["guest"].items()) if "guest" in keys else None,
    )
    return mode, keys.get("name")


def _read_vm(node: Node) -> VmPower:
    value = node.string()
    try:
        return VmPower(value)
    except ValueError:
        raise node.error(f"unknown vm state '{value}'", suggest(value, {v.value for v in VmPower})) from None


def _read_usb(node: Node, index: int) -> UsbMatch:
    keys = node.mapping({"name", "vendor", "product", "serial", "port", "kind", "optional"})
    if not set(keys) - {"name", "optional"}:
        raise node.error("a usb entry needs something to match", "vendor/product, serial, port or kind")
    if "product" in keys and "vendor" not in keys:
        raise keys["product"].error("product needs vendor too", "add vendor: 0x....")
    return UsbMatch(
        label=keys["name"].string() if "name" in keys else f"usb[{index}]",
        vendor=keys["vendor"].integer(0, 0xFFFF) if "vendor" in keys else None,
        product=keys["product"].integer(0, 0xFFFF) if "product" in keys else None,
        serial=keys["serial"].string() if "serial" in keys else None,
        port=keys["port"].string() if "port" in keys else None,
        kind=read_kind(keys["kind"]) if "kind" in keys else None,
        optional=keys["optional"].boolean() if "optional" in keys else False,
    )


def _read_inputs(node: Node) -> tuple[EvdevInput, ...]:
    inputs = []
    for item in node.items():
        keys = item.mapping({"path", "grab_all", "grab_toggle", "repeat"})
        if "path" not in keys:
            raise item.error("an input needs 'path'", "e.g. /dev/input/by-id/usb-…-event-kbd")
        path = keys["path"].string()
        if not path.startswith("/dev/input/"):
            raise keys["path"].error(f"'{path}' is not an input device", "use a /dev/input/by-id/… path")
        inputs.append(EvdevInput(
            path=path,
            grab_all=keys["grab_all"].boolean() if "grab_all" in keys else True,
            grab_toggle=keys["grab_toggle"].string() if "grab_toggle" in keys else "ctrl-ctrl",
            repeat=keys["repeat"].boolean() if "repeat" in keys else True,
        ))
    return tuple(inputs)


def _read_audio(node: Node) -> AudioTarget:
    keys = node.mapping({"sink", "description", "move_streams", "volume", "mute", "when_missing"})
    if ("sink" in keys) == ("description" in keys):
        raise node.error("audio needs exactly one of 'sink' or 'description'",
                         "sink: exact name or glob, description: glob on the description")
    by = SinkMatchBy.NAME if "sink" in keys else SinkMatchBy.DESCRIPTION
    return AudioTarget(
        pattern=keys["sink" if by is SinkMatchBy.NAME else "description"].string(),
        match_by=by,
        move_streams=keys["move_streams"].boolean() if "move_streams" in keys else True,
        volume=keys["volume"].number(0.0, 1.5) if "volume" in keys else None,
        mute=keys["mute"].boolean() if "mute" in keys else None,
        when_missing=_read_when_missing(keys["when_missing"]) if "when_missing" in keys else WhenMissing.FAIL,
    )


def _read_when_missing(node: Node) -> WhenMissing:
    value = node.string()
    try:
        return WhenMissing(value)
    except ValueError:
        raise node.error(f"unknown when_missing '{value}'", suggest(value, {w.value for w in WhenMissing})) from None


def _read_viewer(node: Node) -> ViewerSpec:
    if isinstance(node.node.value, str):
        return ViewerSpec(run=node.boolean())
    keys = node.mapping({"run", "argv"})
    run = keys["run"].boolean() if "run" in keys else True
    if "argv" in keys:
        return ViewerSpec(run=run, argv=keys["argv"].argv())
    return ViewerSpec(run=run)


def _read_output(node: Node) -> OutputSetting:
    keys = node.mapping({"output", "enabled", "mode", "primary", "right_of"})
    if "output" not in keys:
        raise node.error("a display entry needs 'output'", "an xrandr output name such as HDMI-1")
    return OutputSetting(
        output=keys["output"].string(),
        enabled=keys["enabled"].boolean() if "enabled" in keys else True,
        mode=keys["mode"].string() if "mode" in keys else None,
        primary=keys["primary"].boolean() if "primary" in keys else False,
        right_of=keys["right_of"].string() if "right_of" in keys else None,
    )


def _read_hooks(node: Node) -> Hooks:
    keys = node.mapping({"before", "after"})
    return Hooks(
        before=tuple(_read_hook(i) for i in keys["before"].items()) if "before" in keys else (),
        after=tuple(_read_hook(i) for i in keys["after"].items()) if "after" in keys else (),
    )


def _read_hook(node: Node) -> Hook:
    keys = node.mapping({"argv", "timeout", "undo"})
    if "argv" not in keys:
        raise node.error("a hook needs 'argv'", "e.g. {argv: [notify-send, switching]}")
    return Hook(
        argv=keys["argv"].argv(),
        timeout=keys["timeout"].number(0.1, 600) if "timeout" in keys else 10.0,
        undo=keys["undo"].argv() if "undo" in keys else None,
    )


def _read_guest_action(node: Node) -> GuestAction:
    keys = node.mapping({"argv", "timeout", "undo"})
    if "argv" not in keys:
        raise node.error("a guest action needs 'argv'",
                         r"e.g. {argv: ['C:\Windows\System32\DisplaySwitch.exe', /external]}")
    return GuestAction(
        argv=keys["argv"].argv(),
        timeout=keys["timeout"].number(0.1, 3600) if "timeout" in keys else 30.0,
        undo=keys["undo"].argv() if "undo" in keys else None,
    )


def read_kind(node: Node) -> str:
    kind = node.string()
    if kind != GAMEPAD:
        raise node.error(f"unknown kind '{kind}'", f"the only kind is '{GAMEPAD}'")
    return kind
