"""YAML files → the model. Everything is validated before anything is applied.

Every error is a ConfigError pointing at file:line:column with a hint, so a broken file is
one readable line in the terminal or the journal, never a traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from modeswitch.config.yamlnodes import Node, read_document, suggest
from modeswitch.errors import ConfigError
from modeswitch.model import (
    GAMEPAD,
    AudioTarget,
    ComboSpec,
    EvdevInput,
    Hook,
    Hooks,
    HotplugRule,
    Mode,
    OutputSetting,
    SinkMatchBy,
    UsbMatch,
    ViewerSpec,
    VmPower,
    WhenMissing,
)
from modeswitch.paths import default_config_path
from modeswitch.triggers.buttons import resolve_button

TOGGLE = "toggle"
@dataclass(frozen=True)
class Config:
    path: Path | None = None
    libvirt_uri: str = "qemu:///system"
    domain: str = "win11"
    pulse_server: str | None = None  # None: libpulse's own default (PULSE_SERVER, runtime dir)
    default_mode: str = "desk"
    toggle: tuple[str, str] = ("desk", "tv")
    step_timeout: float = 15.0
    viewer_grace: float = 3.0
    trigger_threshold: float = 0.5  # analog trigger travel that counts as a press
    modes_dirs: tuple[Path, ...] = ()
    combos: tuple[ComboSpec, ...] = ()
    hotplug: tuple[HotplugRule, ...] = ()
    modes: Mapping[str, Mode] = field(default_factory=dict)


def shipped_modes_dir() -> Path:
    """The example modes: the repo's modes/ in a checkout, share/modeswitch/modes when installed."""
    checkout = Path(__file__).resolve().parents[2] / "modes"
    if checkout.is_dir():
        return checkout
    return Path(sys.prefix) / "share" / "modeswitch" / "modes"


_TOP_KEYS = {"libvirt", "audio", "default_mode", "toggle", "modes_dirs", "transition",
             "looking_glass", "triggers"}


def load_config(path: Path | None = None, *, required: bool = False) -> Config:
    """Read config.yaml (defaults when it is absent and not required) and every mode file."""
    path = path or default_config_path()
    values: dict[str, object] = {"path": path}
    if path.exists() or required:
        root = read_document(path)
        if root is not None and not root.is_null:
            values.update(_read_top(root.mapping(_TOP_KEYS), path))
    if "modes_dirs" not in values:
        values["modes_dirs"] = (path.parent / "modes",)
    nodes = {key: values.pop(key) for key in list(values) if key.startswith("_")}
    config = Config(**values)  # type: ignore[arg-type]
    config = replace(config, modes=load_modes(config.modes_dirs))
    _check_references(config, nodes)
    raw_triggers = nodes.get("_triggers")
    if isinstance(raw_triggers, Node):
        config = replace(config, **_read_triggers(raw_triggers, config))  # type: ignore[arg-type]
    return config


def _read_top(keys: dict[str, Node], path: Path) -> dict[str, object]:
    values: dict[str, object] = {}
    if "libvirt" in keys:
        sub = keys["libvirt"].mapping({"uri", "domain"})
        if "uri" in sub:
            values["libvirt_uri"] = sub["uri"].string()
        if "domain" in sub:
            values["domain"] = sub["domain"].string()
    if "audio" in keys:
        sub = keys["audio"].mapping({"server"})
        if "server" in sub:
            values["pulse_server"] = sub["server"].string()
    if "default_mode" in keys:
        values["default_mode"] = keys["default_mode"].string()
        values["_default_node"] = keys["default_mode"]
    if "toggle" in keys:
        pair = tuple(item.string() for item in keys["toggle"].items())
        if len(pair) != 2 or pair[0] == pair[1]:
            raise keys["toggle"].error("toggle needs two different mode names", "e.g. [desk, tv]")
        values["toggle"] = pair
        values["_toggle_node"] = keys["toggle"]
    if "modes_dirs" in keys:
        values["modes_dirs"] = tuple(
            _resolve_dir(item.string(), path) for item in keys["modes_dirs"].items()
        )
    if "transition" in keys:
        sub = keys["transition"].mapping({"step_timeout"})
        if "step_timeout" in sub:
            values["step_timeout"] = sub["step_timeout"].number(0.1, 600)
    if "looking_glass" in keys:
        sub = keys["looking_glass"].mapping({"grace"})
        if "grace" in sub:
            values["viewer_grace"] = sub["grace"].number(0.0, 60)
    if "triggers" in keys:
        values["_triggers"] = keys["triggers"]
    return values


def _resolve_dir(text: str, config_path: Path) -> Path:
    expanded = Path(os.path.expanduser(text))
    if text == "@shipped":
        return shipped_modes_dir()
    return expanded if expanded.is_absolute() else config_path.parent / expanded


def _check_references(config: Config, values: Mapping[str, object]) -> None:
    names = set(config.modes)
    where = config.path or Path("config.yaml")
    if not names:
        dirs = ", ".join(str(d) for d in config.modes_dirs)
        raise ConfigError(str(where), None, None, f"no modes found in {dirs}",
                          "run 'modeswitch init' to copy the example modes")
    default_node = values.get("_default_node")
    if config.default_mode not in names:
        message = f"default_mode '{config.default_mode}' is not a defined mode"
        if isinstance(default_node, Node):
            raise default_node.error(message, suggest(config.default_mode, names))
        raise ConfigError(str(where), None, None, message, "set default_mode in config.yaml")
    for name in config.toggle:
        if name not in names:
            node = values.get("_toggle_node")
            message = f"toggle names '{name}', which is not a defined mode"
            if isinstance(node, Node):
                raise node.error(message, suggest(name, names))
            raise ConfigError(str(where), None, None, message, "set toggle: [a, b] in config.yaml")


def _read_triggers(node: Node, config: Config) -> dict[str, object]:
    keys = node.mapping({"combos", "hotplug"})
    actions = set(config.modes) | {TOGGLE}
    combos = tuple(_read_combo(item, actions) for item in keys["combos"].items()) \
        if "combos" in keys else ()
    hotplug = tuple(_read_hotplug(item, set(config.modes)) for item in keys["hotplug"].items()) \
        if "hotplug" in keys else ()
    return {"combos": combos, "hotplug": hotplug}


def _read_combo(node: Node, actions: set[str]) -> ComboSpec:
    keys = node.mapping({"buttons", "action", "hold", "cancel_on_other"})
    for required in ("buttons", "action"):
        if required not in keys:
            raise node.error(f"a combo needs '{required}'", "e.g. {buttons: [select, start], action: toggle}")
    buttons: list[str] = []
    for item in keys["buttons"].items():
        try:
            buttons.append(resolve_button(item.string()))
        except ValueError as exc:
            raise item.error(f"unknown button '{item.scalar()}'", str(exc)) from None
    if len(set(buttons)) < 1:
        raise keys["buttons"].error("a combo needs at least one button")
    action = keys["action"].string()
    if action not in actions:
        raise keys["action"].error(f"unknown action '{action}'", suggest(action, actions))
    return ComboSpec(
        buttons=tuple(dict.fromkeys(buttons)),
        action=action,
        hold=keys["hold"].number(0.0, 30.0) if "hold" in keys else 0.0,
        cancel_on_other=keys["cancel_on_other"].boolean() if "cancel_on_other" in keys else True,
    )


def _read_hotplug(node: Node, modes: set[str]) -> HotplugRule:
    keys = node.mapping({"mode", "kind", "vendor", "product", "debounce", "only_when_vm_running"})
    if "mode" not in keys:
        raise node.error("a hotplug rule needs 'mode'", "e.g. {kind: gamepad, mode: tv}")
    mode = keys["mode"].string()
    if mode not in modes:
        raise keys["mode"].error(f"unknown mode '{mode}'", suggest(mode, modes))
    kind = _read_kind(keys["kind"]) if "kind" in keys else None
    vendor = keys["vendor"].integer(0, 0xFFFF) if "vendor" in keys else None
    product = keys["product"].integer(0, 0xFFFF) if "product" in keys else None
    if kind is None and vendor is None:
        kind = GAMEPAD
    return HotplugRule(
        mode=mode,
        kind=kind,
        vendor=vendor,
        product=product,
        debounce=keys["debounce"].number(0.0, 60.0) if "debounce" in keys else 2.0,
        only_when_vm_running=keys["only_when_vm_running"].boolean()
        if "only_when_vm_running" in keys else False,
    )


def _read_kind(node: Node) -> str:
    kind = node.string()
    if kind != GAMEPAD:
        raise node.error(f"unknown kind '{kind}'", f"the only kind is '{GAMEPAD}'")
    return kind


# --- mode files -----------------------------------------------------------------------------

_MODE_KEYS = {"name", "vm", "usb", "inputs", "audio", "looking_glass", "display", "hooks"}


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
        hooks=_read_hooks(keys["hooks"]) if "hooks" in keys else Hooks(),
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
        kind=_read_kind(keys["kind"]) if "kind" in keys else None,
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
