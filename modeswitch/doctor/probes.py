"""The doctor's side effects: asking libvirt, the sound server and a few commands.

Each probe turns every way it can fail into data (an error string with the fix) so the
checks can print a line for it; none of them raises.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess

from modeswitch.doctor.domain import DomainFacts, parse_domain
from modeswitch.doctor.facts import CommandResult, LibvirtFacts
from modeswitch.errors import ModeswitchError
from modeswitch.parts.audio.spec import AudioObservation
from modeswitch.parts.guest.spec import GuestObservation

COMMAND_TIMEOUT = 10.0


def run_command(argv: list[str], path: str) -> CommandResult:
    """argv[0] looked up in `path` (the injectable PATH); never a shell."""
    executable = shutil.which(argv[0], path=path)
    if executable is None:
        return CommandResult(None, error=f"{argv[0]} is not on PATH")
    try:
        done = subprocess.run([executable, *argv[1:]], capture_output=True, text=True, errors="replace",
                              timeout=COMMAND_TIMEOUT, stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired:
        return CommandResult(None, error=f"{argv[0]} did not answer within {COMMAND_TIMEOUT:.0f} s")
    except OSError as exc:
        return CommandResult(None, error=f"cannot run {executable}: {exc.strerror}")
    return CommandResult(done.returncode, (done.stdout + done.stderr).strip())


async def probe_libvirt(uri: str, domain: str) -> LibvirtFacts:
    try:
        from modeswitch.parts.vm.connection import EVENT_IMPL, ensure_event_loop
    except ImportError as exc:
        return LibvirtFacts(uri, domain, error=f"libvirt-python is not installed ({exc})")
    try:
        ensure_event_loop(EVENT_IMPL)  # the embedded driver needs one; harmless for others
    except ModeswitchError as exc:
        return LibvirtFacts(uri, domain, error=str(exc))
    return await asyncio.to_thread(_libvirt_facts, uri, domain)


def _libvirt_facts(uri: str, domain: str) -> LibvirtFacts:
    """Read-write first: that is what switching needs. Denied, a read-only connection tells
    "no rights" apart from "not running"."""
    import libvirt

    from modeswitch.parts.vm.connection import lookup_domain, open_connection

    read_only = False
    try:
        conn = open_connection(uri)
    except ModeswitchError as exc:
        try:
            conn, read_only = libvirt.openReadOnly(uri), True
        except libvirt.libvirtError:
            return LibvirtFacts(uri, domain, error=str(exc))
    try:
        dom = lookup_domain(conn, uri, domain)
        xml, active = dom.XMLDesc(0), bool(dom.isActive())
    except ModeswitchError as exc:
        return LibvirtFacts(uri, domain, read_only=read_only, domain_error=str(exc))
    except libvirt.libvirtError as exc:
        return LibvirtFacts(uri, domain, read_only=read_only, domain_error=f"cannot read domain '{domain}': {exc}")
    finally:
        conn.close()
    try:
        facts = parse_domain(xml)
    except ValueError as exc:
        return LibvirtFacts(uri, domain, read_only=read_only, domain_error=f"unreadable domain XML: {exc}")
    return LibvirtFacts(uri, domain, read_only=read_only, domain=facts, active=active)


async def probe_guest(uri: str, domain: str) -> GuestObservation:
    """What the guest's agent says (OS, version, who is logged in), on a connection of its own."""
    from modeswitch.parts.guest.backend import GuestActions, LibvirtGuestAgent

    agent = LibvirtGuestAgent(uri, domain)
    actions = GuestActions(agent)
    try:
        await agent.connect()
        return await actions.observe()
    except ModeswitchError as exc:
        return GuestObservation("unknown", error=str(exc))
    finally:
        await actions.close()


async def probe_domains(uri: str) -> tuple[list[DomainFacts], list[str], str | None]:
    """Every domain defined at `uri` with its parsed XML, the running ones, or why not."""
    try:
        from modeswitch.parts.vm.connection import EVENT_IMPL, ensure_event_loop
    except ImportError as exc:
        return [], [], f"libvirt-python is not installed ({exc})"
    try:
        ensure_event_loop(EVENT_IMPL)
    except ModeswitchError as exc:
        return [], [], str(exc)
    return await asyncio.to_thread(_domains, uri)


def _domains(uri: str) -> tuple[list[DomainFacts], list[str], str | None]:
    import libvirt

    from modeswitch.parts.vm.connection import open_connection

    try:
        conn = open_connection(uri)
    except ModeswitchError as exc:
        return [], [], str(exc)
    found, running = [], []
    try:
        for dom in conn.listAllDomains(0):
            try:
                found.append(parse_domain(dom.XMLDesc(0)))
                if dom.isActive():
                    running.append(dom.name())
            except (ValueError, libvirt.libvirtError):
                continue  # undefined meanwhile, or unreadable: not a candidate
    except libvirt.libvirtError as exc:
        return [], [], f"cannot list domains at {uri}: {exc}"
    finally:
        conn.close()
    return found, running, None


async def probe_audio(server: str | None) -> AudioObservation:
    try:
        from modeswitch.parts.audio.backend import PulseAudioBackend
    except ImportError as exc:
        return AudioObservation(server or "default", False, error=f"pulsectl is not installed ({exc})")
    backend = PulseAudioBackend(server)
    try:
        return await backend.observe()
    finally:
        await backend.close()


async def probe_audio_modules(server: str | None) -> tuple[str, ...]:
    """The modules the sound server has loaded; none when it cannot be asked (audio.server says why)."""
    def ask() -> tuple[str, ...]:
        from modeswitch.errors import BackendError
        from modeswitch.parts.audio.backend import connect

        try:
            pulse = connect(server, "modeswitch-doctor")
        except BackendError:
            return ()
        import pulsectl

        with pulse:
            try:
                return tuple(module.name for module in pulse.module_list())
            except pulsectl.PulseError:
                return ()

    try:
        return await asyncio.to_thread(ask)
    except ImportError:
        return ()


async def probe_notifications(bus: str = "SESSION") -> CommandResult:
    """GetServerInformation on the session bus: the name and version of the server that
    would show modeswitch's notifications, or why there is none."""
    from jeepney import new_method_call
    from jeepney.io.asyncio import open_dbus_router
    from jeepney.wrappers import DBusErrorResponse, unwrap_msg

    from modeswitch.daemon.notifications import NOTIFICATIONS

    try:
        async with open_dbus_router(bus) as router:
            reply = await asyncio.wait_for(router.send_and_get_reply(
                new_method_call(NOTIFICATIONS, "GetServerInformation")), COMMAND_TIMEOUT)
            name, vendor, version, _spec = unwrap_msg(reply)
    except KeyError:
        return CommandResult(None, error="no session bus (DBUS_SESSION_BUS_ADDRESS is not set)")
    except DBusErrorResponse as exc:
        return CommandResult(None, error=f"no notification server on the session bus ({exc.name})")
    except (OSError, ValueError, TimeoutError) as exc:
        return CommandResult(None, error=f"the session bus does not answer ({type(exc).__name__}: {exc})")
    return CommandResult(0, f"{name} {version} ({vendor})")
