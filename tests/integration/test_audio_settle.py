"""settle's second opinion on a real server: a connection that reads the old default after a
quiet while asks a new connection, and only a new connection that shows the wanted default
makes it a stale view (the backend then reconnects) instead of a lag to wait out. The stale
connection here is one that read the default before it was set: a connection that stopped
getting pipewire-pulse's changes cannot be made on demand (a start-up race, 1–4 in 100)."""

from __future__ import annotations

import pytest
from pulse_fixtures import DESK, TV, SoundServers

from modeswitch.parts.audio.backend import connect
from modeswitch.parts.audio.settle import StaleView, Wanted, lagging
from modeswitch.sandbox.private_pulse import PrivatePulse


def fresh_default(server: PrivatePulse) -> str | None:
    pulse = connect(server.server, "settle-test")
    try:
        return pulse.server_info().default_sink_name or None
    finally:
        pulse.close()


def test_a_quiet_lag_that_a_new_connection_does_not_show_is_a_stale_view(sound: SoundServers) -> None:
    with sound([DESK]) as server:
        server.load_sink(*TV)
        pulse = connect(server.server, "settle-test")
        try:
            wanted = Wanted(TV[0], ())
            # not quiet yet: a lag, nothing asked again, no second opinion
            assert lagging(pulse, wanted, fresh=lambda: fresh_default(server)) == f"the default sink is still {DESK[0]}"
            assert fresh_default(server) == DESK[0]
            # quiet: the default is asked again (the server takes it), and a new connection shows it
            with pytest.raises(StaleView, match=f"still reads {DESK[0]}"):
                lagging(pulse, wanted, quiet=True, fresh=lambda: fresh_default(server))
            assert fresh_default(server) == TV[0]
        finally:
            pulse.close()
