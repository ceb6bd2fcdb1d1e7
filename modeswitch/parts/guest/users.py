"""Who is logged in to the guest, as the agent says, and whose session an action runs in. Pure.

`guest-get-users` lists the interactive sessions (Windows: with the machine or domain name;
Linux: utmp's USER_PROCESS entries, one per terminal). An action with `user:` runs in that
user's session; without it, in the one user's who is logged in. Nobody, or several people and
no `user:`, is one line saying so, before anything runs in the guest.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from modeswitch.errors import BackendError


class NoUserSession(BackendError):
    """The action's session cannot be found: nobody logged in, or not the user it names."""


def parse_users(reply: Any) -> tuple[str, ...]:
    """guest-get-users' return value → DOMAIN\\user (Windows) or user, each once, in order."""
    found: list[str] = []
    for entry in reply if isinstance(reply, list) else ():
        name = str(entry.get("user") or "") if isinstance(entry, dict) else ""
        if not name:
            continue
        domain = entry.get("domain")
        full = f"{domain}\\{name}" if domain else name
        if full not in found:
            found.append(full)
    return tuple(found)


def _same(wanted: str, logged_in: str) -> bool:
    """`player` matches `PC\\player` too; Windows account names ignore case, and so do we
    there (a name with a domain only comes from Windows)."""
    if "\\" in logged_in:
        short = logged_in.split("\\", 1)[1]
        return wanted.casefold() in (logged_in.casefold(), short.casefold())
    return wanted == logged_in


def pick_user(users: Sequence[str], wanted: str | None) -> str:
    """The logged-in user an action's session belongs to; NoUserSession otherwise."""
    if not users:
        raise NoUserSession("nobody is logged in to the guest, so there is no user session to run in",
                            "log in to the guest (or set up automatic login) and switch again")
    if wanted is not None:
        for user in users:
            if _same(wanted, user):
                return user
        raise NoUserSession(f"user '{wanted}' is not logged in to the guest (logged in: {', '.join(users)})",
                            "log that user in, or fix user: in the mode")
    if len(users) > 1:
        raise NoUserSession(f"several users are logged in to the guest ({', '.join(users)})",
                            "say whose session with user: in the action")
    return users[0]
