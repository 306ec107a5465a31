"""Enforce the byte, file and time budgets while unblob runs in its worker processes.

Walking the extraction tree every second would cost as much as the extraction itself. Instead the
watchdog watches the file system's own counters (``statvfs``: free blocks and free inodes), which
cost nothing to read. Those counters also move when *other* processes write to the same disk, so
they only *trigger* a precise measurement (one walk of the extraction tree); the limit trips only
on what the walk measured. After a walk the next trigger is set to "the counters moved by as much
as the budget that is left", so walks stay rare. File systems that report no inode counts fall
back to periodic walks spaced by their own cost.

When a budget is spent the watchdog kills the unblob workers' process groups (each worker is a
process-group leader, and the external extractors it runs belong to its group), which makes
unblob's pool stop; what was extracted until then stays on disk and is reported as partial.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil

from ..limits import Limits

_POLL_S = 0.2
_MIN_WALK_GAP_S = 1.0


@dataclass
class TreeSize:
    bytes: int = 0
    files: int = 0


def measure(root: Path) -> TreeSize:
    """Apparent bytes of regular files and number of entries below ``root`` (links not followed)."""
    size = TreeSize()
    stack = [os.fsencode(root)]
    while stack:
        try:
            it = os.scandir(stack.pop())
        except OSError:
            continue
        with it:
            for entry in it:
                size.files += 1
                try:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                    elif entry.is_file(follow_symlinks=False):
                        size.bytes += entry.stat(follow_symlinks=False).st_size
                except OSError:
                    continue
    return size


class Watchdog(threading.Thread):
    """Background thread; ``tripped`` holds the reason once a budget was spent."""

    def __init__(self, root: Path, limits: Limits, on_trip: Callable[[], None] | None = None):
        super().__init__(name="iotvet-unpack-watchdog", daemon=True)
        self.root = root
        self.limits = limits
        self.tripped: str | None = None
        self.last: TreeSize = TreeSize()
        self._stop_event = threading.Event()
        self._on_trip = on_trip
        self._started_at = time.monotonic()
        self._children_before = {p.pid for p in psutil.Process().children()}
        self._base: tuple[int, int] | None = None
        self._bytes_trigger = limits.max_unpacked_bytes
        self._files_trigger = limits.max_files

    def stop(self) -> None:
        self._stop_event.set()

    def _counters(self) -> tuple[int, int] | None:
        try:
            st = os.statvfs(self.root)
        except OSError:
            return None
        if st.f_files == 0:
            return None
        return st.f_bfree * st.f_frsize, st.f_ffree

    def run(self) -> None:
        base = self._base = self._counters()
        next_walk = 0.0
        walk_cost = 0.0
        while not self._stop_event.wait(_POLL_S):
            now = time.monotonic()
            if now - self._started_at > self.limits.stage_timeout_s:
                self._trip(f"wall time limit of {self.limits.stage_timeout_s:g} s reached")
                return
            counters = self._counters()
            if base is not None and counters is not None:
                grown_bytes, grown_files = base[0] - counters[0], base[1] - counters[1]
                due = grown_bytes >= self._bytes_trigger or grown_files >= self._files_trigger
            else:
                grown_bytes = grown_files = 0
                due = now >= next_walk
            if not due or now < next_walk:
                continue
            started = time.monotonic()
            self.last = measure(self.root)
            walk_cost = time.monotonic() - started
            next_walk = time.monotonic() + max(_MIN_WALK_GAP_S, 20 * walk_cost)
            if self.last.bytes > self.limits.max_unpacked_bytes:
                self._trip(f"max unpacked bytes ({self.limits.max_unpacked_bytes}) exceeded")
                return
            if self.last.files > self.limits.max_files:
                self._trip(f"max files ({self.limits.max_files}) exceeded")
                return
            self._bytes_trigger = grown_bytes + (self.limits.max_unpacked_bytes - self.last.bytes)
            self._files_trigger = grown_files + (self.limits.max_files - self.last.files)

    def final_check(self) -> None:
        """After the run: one last measurement (if the counters moved enough to matter), so a
        budget spent between the last poll and the end of the run is still reported."""
        counters, base = self._counters(), self._base
        if counters is not None and base is not None:
            grown = base[0] - counters[0] >= self._bytes_trigger or (
                base[1] - counters[1] >= self._files_trigger
            )
            if not grown:
                return
        self.last = measure(self.root)
        if self.last.bytes > self.limits.max_unpacked_bytes:
            self.tripped = f"max unpacked bytes ({self.limits.max_unpacked_bytes}) exceeded"
        elif self.last.files > self.limits.max_files:
            self.tripped = f"max files ({self.limits.max_files}) exceeded"

    def _trip(self, reason: str) -> None:
        self.tripped = reason
        self.kill_workers()
        if self._on_trip:
            self._on_trip()

    def kill_workers(self) -> None:
        """Kill the process groups of the children started since the watchdog was created."""
        for child in psutil.Process().children():
            if child.pid in self._children_before:
                continue
            try:
                os.killpg(child.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                with contextlib.suppress(psutil.Error):
                    child.kill()
