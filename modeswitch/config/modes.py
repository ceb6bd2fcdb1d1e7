"""Mode files (modes/*.yaml) → Mode objects: each part of the registry reads its own key."""

from __future__ import annotations

from pathlib import Path

from modeswitch.config.screens import check_one_adapter
from modeswitch.config.yamlnodes import Node, read_document
from modeswitch.errors import ConfigError
from modeswitch.model import TOGGLE, Mode
from modeswitch.parts.registry import PARTS

_MODE_KEYS = {"name", *(part.yaml_key for part in PARTS)}


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
    specs = {part.name: part.read(keys[part.yaml_key]) for part in PARTS if part.yaml_key in keys}
    mode = Mode(name, path, **specs)
    return mode, keys.get("name")


