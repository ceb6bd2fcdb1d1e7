"""libvirt as this user: reachable, with the rights to manage the domain; the domain itself
(guest agent channel, evdev inputs written into it statically)."""

from __future__ import annotations

from modeswitch.doctor.facts import Facts
from modeswitch.doctor.report import Finding, fail, ok, warn
from modeswitch.parts.registry import needs_vm

PERMISSION_HINT = "join the 'libvirt' group (usermod -aG libvirt $USER) and log in again"
AGENT_XML = ("<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel> "
             "and install qemu-guest-agent (virtio-win guest tools) in the guest")


def checks(facts: Facts) -> list[Finding]:
    lv = facts.libvirt
    if lv.error is not None:
        fix = PERMISSION_HINT if "permission" in lv.error else \
            "start libvirtd (systemctl enable --now libvirtd) or fix libvirt.uri in config.yaml"
        if not any(needs_vm(mode) for mode in facts.config.modes.values()):
            return [warn("libvirt.connect", f"{lv.error}; no mode needs the VM yet", fix)]
        return [fail("libvirt.connect", lv.error, fix)]
    findings = [ok("libvirt.connect", f"{lv.uri} is reachable")]
    if lv.read_only:
        findings.append(fail("libvirt.rights", f"{lv.uri} allows this user read-only access only", PERMISSION_HINT))
    else:
        findings.append(ok("libvirt.rights", f"this user may manage domains on {lv.uri}"))
    if lv.domain is None:
        findings.append(fail("libvirt.domain", lv.domain_error or f"domain '{lv.domain_name}' is unreadable",
                             "set libvirt.domain in config.yaml to one of `virsh list --all`"))
        return findings
    state = "running" if lv.active else "shut off"
    findings.append(ok("libvirt.domain", f"domain '{lv.domain.name}' is defined ({state})"))
    if lv.domain.agent_channel:
        findings.append(ok("vm.agent", "the guest agent channel org.qemu.guest_agent.0 is defined"))
    elif users := facts.modes_using("guest"):  # their guest actions cannot run: plan refuses them
        findings.append(fail("vm.agent", f"mode(s) {', '.join(users)} run guest actions but the domain has no "
                             "guest agent channel", f"virsh edit: add {AGENT_XML}"))
    else:
        findings.append(warn("vm.agent", "the domain has no guest agent channel", f"virsh edit: add {AGENT_XML}"))
    findings.append(_static_evdev(facts))
    return findings


def _static_evdev(facts: Facts) -> Finding:
    """Guides put keyboard and mouse into the XML; then they stay grabbed in every mode."""
    assert facts.libvirt.domain is not None
    handed = {item.path for mode in facts.config.modes.values() for item in mode.inputs or ()}
    static = [path for path in facts.libvirt.domain.evdev_inputs if path in handed]
    if static:
        return warn("vm.evdev", f"the domain XML holds {', '.join(static)} statically: it stays grabbed "
                    "by the VM in every mode", "virsh edit: remove those <input type='evdev'> elements; "
                    "the modes that list them attach and release them")
    return ok("vm.evdev", "no input that a mode hands over is defined statically in the domain")
