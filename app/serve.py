"""`issdash serve`: the dashboard in a web browser, through textual-serve.

Each browser session runs its own dashboard process, with the flags given here. Binding to
127.0.0.1 (the default) keeps it on this machine: anyone who can reach the port controls a
dashboard process.
"""

from __future__ import annotations

import shlex
import sys


def serve(host: str, port: int, dashboard_args: list[str]) -> None:
    from textual_serve.server import Server

    command = shlex.join([sys.executable, "-m", "app", *dashboard_args])
    Server(command, host=host, port=port, title="issdash").serve()
