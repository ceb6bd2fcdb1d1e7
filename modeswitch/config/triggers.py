"""The `triggers:` part of config.yaml: button combos, hotplug rules and CEC events."""

from __future__ import annotations

from modeswitch.buttons import resolve_button
from modeswitch.config.yamlnodes import Node
from modeswitch.model import GAMEPAD, TOGGLE, CecRule, ComboSource, ComboSpec, HotplugRule, TvEvent
from modeswitch.parts.usb.read import read_kind
from modeswitch.suggest import suggest


def read_triggers(node: Node, modes: set[str]) -> dict[str, object]:
    keys = node.mapping({"combos", "hotplug", "cec"})
    actions = modes | {TOGGLE}
    combos = tuple(_read_combo(item, actions) for item in keys["combos"].items()) \
        if "combos" in keys else ()
    hotplug = tuple(_read_hotplug(item, modes) for item in keys["hotplug"].items()) \
        if "hotplug" in keys else ()
    cec = tuple(_read_cec(item, modes) for item in keys["cec"].items()) if "cec" in keys else ()
    return {"combos": combos, "hotplug": hotplug, "cec": cec}


def _read_combo(node: Node, actions: set[str]) -> ComboSpec:
    keys = node.mapping({"buttons", "action", "hold", "cancel_on_other", "source"})
    source = _read_source(keys["source"]) if "source" in keys else ComboSource.PAD
    for required in ("buttons", "action"):
        if required not in keys:
            raise node.error(f"a combo needs '{required}'", "e.g. {buttons: [select, start], action: toggle}")
    buttons: list[str] = []
    for item in keys["buttons"].items():
        try:
            buttons.append(_resolve(item.string(), source))
        except ValueError as exc:
            what = "button" if source is ComboSource.PAD else f"{source.value} key"
            raise item.error(f"unknown {what} '{item.scalar()}'", str(exc)) from None
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
        source=source,
    )


def _read_source(node: Node) -> ComboSource:
    text = node.string()
    try:
        return ComboSource(text)
    except ValueError:
        raise node.error(f"unknown combo source '{text}'", suggest(text, [s.value for s in ComboSource])) from None


def _resolve(name: str, source: ComboSource) -> str:
    """Pads: gamepad button names; a remote: the keys of the kernel's CEC keymap; a keyboard:
    any KEY_* name. A name no device of that source can send is an error here, not silence."""
    if source is ComboSource.PAD:
        return resolve_button(name)
    from modeswitch.triggers.keys import resolve_key

    return resolve_key(name, remote=source is ComboSource.REMOTE)


def _read_hotplug(node: Node, modes: set[str]) -> HotplugRule:
    keys = node.mapping({"mode", "kind", "vendor", "product", "debounce", "only_when_vm_running"})
    if "mode" not in keys:
        raise node.error("a hotplug rule needs 'mode'", "e.g. {kind: gamepad, mode: tv}")
    mode = keys["mode"].string()
    if mode not in modes:
        raise keys["mode"].error(f"unknown mode '{mode}'", suggest(mode, modes))
    kind = read_kind(keys["kind"]) if "kind" in keys else None
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


def _read_cec(node: Node, modes: set[str]) -> CecRule:
    keys = node.mapping({"on", "mode", "debounce", "device"})
    for required in ("on", "mode"):
        if required not in keys:
            raise node.error(f"a cec trigger needs '{required}'", "e.g. {on: tv-on, mode: tv}")
    text = keys["on"].string()
    events = [event.value for event in TvEvent]
    if text not in events:
        raise keys["on"].error(f"unknown CEC event '{text}'", suggest(text, events))
    mode = keys["mode"].string()
    if mode not in modes:
        raise keys["mode"].error(f"unknown mode '{mode}'", suggest(mode, modes))
    device = keys["device"].string() if "device" in keys else "/dev/cec0"
    if not device.startswith("/dev/"):
        raise keys["device"].error(f"'{device}' is not a device path", "e.g. /dev/cec0")
    return CecRule(TvEvent(text), mode, keys["debounce"].number(0.0, 60.0) if "debounce" in keys else 2.0, device)
