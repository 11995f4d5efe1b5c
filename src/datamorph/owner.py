"""Which process owns a run, and whether that process is still there.

A run records its owner when it is created or resumed: the host name, the process id and the
process's start time. On Linux the start time is field 22 of ``/proc/<pid>/stat`` (clock ticks
since boot) prefixed with the boot id, so a process id the kernel has since given to another
process, or that comes back after a reboot, is not mistaken for the owner. Elsewhere the start
time is unknown and a live process id counts as the owner.

A process on another host cannot be looked at: there the run's heartbeat decides (see
:mod:`datamorph.recovery`).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

_PROC = Path("/proc")


def _boot_id() -> str:
    try:
        return (_PROC / "sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` from field 3 (state) on, or None when there is no such process.

    Field 2 (the command name, in parentheses) may itself hold spaces and parentheses: the
    fields after it start after the LAST ')'.
    """
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except (OSError, ValueError):
        return None
    return text[text.rfind(")") + 2 :].split()


def process_start(pid: int) -> str | None:
    """``<boot id>:<start time in clock ticks>`` of a live process on Linux; None if it is gone or unknown."""
    fields = _stat_fields(pid)
    if fields is None or len(fields) < 20 or fields[0] in ("Z", "X"):  # a zombie has exited already
        return None
    return f"{_boot_id()}:{fields[19]}"  # field 22 of the whole line


def _has_proc() -> bool:
    return (_PROC / "self" / "stat").exists()


@dataclass(frozen=True)
class Owner:
    """The process that runs a run."""

    host: str
    pid: int
    started: str | None  # see process_start; None where the start time cannot be read

    @classmethod
    def current(cls) -> Owner:
        """This process (read once per process)."""
        pid = os.getpid()
        cached = _CURRENT.get(pid)
        if cached is None:
            cached = cls(socket.gethostname(), pid, process_start(pid) if _has_proc() else None)
            _CURRENT.clear()
            _CURRENT[pid] = cached
        return cached

    def on_this_host(self) -> bool:
        return self.host == socket.gethostname()

    def alive(self) -> bool:
        """Whether the owner process still runs. Only meaningful on this host (see :meth:`on_this_host`)."""
        if _has_proc():
            started = process_start(self.pid)
            return started is not None and (self.started is None or started == self.started)
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # someone else's live process
            return True
        return True

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host}"


_CURRENT: dict[int, Owner] = {}
