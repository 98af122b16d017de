"""This machine's name, the one every command (run, suite, report, mail) calls it by."""

from __future__ import annotations

import os


def host_name() -> str:
    """The name `hostname` prints: uname's node name on POSIX, socket.gethostname() elsewhere.

    Never socket.getfqdn(): it asks DNS, which hangs for seconds when the resolver is
    broken, the moment an alert matters most. uname needs no socket import at start-up.
    The name is never empty, since SMTP's EHLO and Icinga 2's filters need one.
    """
    if hasattr(os, "uname"):
        name = os.uname().nodename
    else:
        import socket

        name = socket.gethostname()
    return name or "localhost"
