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

from modeswitch.config.modes import load_modes
from modeswitch.config.triggers import read_triggers
from modeswitch.config.yamlnodes import Node, read_document
from modeswitch.errors import ConfigError
from modeswitch.model import CecRule, ComboSpec, HotplugRule, Mode
from modeswitch.paths import default_config_path
from modeswitch.suggest import suggest


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
    notifications: bool = True  # desktop notifications on switch done/failed and refused reloads
    trigger_threshold: float = 0.5  # analog trigger travel that counts as a press
    modes_dirs: tuple[Path, ...] = ()
    combos: tuple[ComboSpec, ...] = ()
    hotplug: tuple[HotplugRule, ...] = ()
    cec: tuple[CecRule, ...] = ()
    modes: Mapping[str, Mode] = field(default_factory=dict)


def shipped_modes_dir() -> Path:
    """The example modes: the repo's modes/ in a checkout, share/modeswitch/modes when installed."""
    checkout = Path(__file__).resolve().parents[2] / "modes"
    if checkout.is_dir():
        return checkout
    return Path(sys.prefix) / "share" / "modeswitch" / "modes"


_TOP_KEYS = {"libvirt", "audio", "default_mode", "toggle", "modes_dirs", "transition",
             "looking_glass", "triggers", "notifications"}


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
        config = replace(config, **read_triggers(raw_triggers, set(config.modes)))  # type: ignore[arg-type]
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
    if "notifications" in keys:
        sub = keys["notifications"].mapping({"enabled"})
        if "enabled" in sub:
            values["notifications"] = sub["enabled"].boolean()
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
