"""The `groundup` command's Ctrl-C and SIGTERM while the library is still being imported.

Importing groundup takes a second or so. When the running program is the `groundup`
console script, a Ctrl-C (or SIGTERM) in that time ends the process with one line and
status 130 (143) instead of a KeyboardInterrupt traceback; `groundup.cli.main` puts the
usual handlers back as soon as it runs. `groundup/__init__.py` imports this module first,
and it uses the standard library only. In any other program it does nothing.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Any

COMMAND_NAMES = ("groundup", "groundup.exe")


def exit_at_once(signum: int, frame: Any) -> None:
    """Say what happened in one line and end the process (nothing has been done yet)."""
    what = "interrupted" if signum == signal.SIGINT else "terminated"
    try:
        os.write(2, f"groundup: {what}\n".encode())
    finally:
        os._exit(128 + signum)


def is_command() -> bool:
    """Is this process the `groundup` console script?"""
    return bool(sys.argv) and os.path.basename(sys.argv[0]) in COMMAND_NAMES


def install() -> None:
    if not is_command() or threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, exit_at_once)
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, exit_at_once)


install()
