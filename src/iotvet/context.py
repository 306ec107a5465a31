"""State shared by the analysis stages of one scan."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from .limits import Limits
from .model import Skipped
from .rootfs import RootFS


@dataclass
class ScanContext:
    """What a stage may read (the roots, the limits) and where it reports what it passed over
    and how long its parts took."""

    roots: list[RootFS]
    limits: Limits = field(default_factory=Limits)
    skipped: list[Skipped] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # "checks/crypto" → seconds
    families_ran: list[str] = field(default_factory=list)  # check families that ran on a root

    def timed(self, name: str, seconds: float) -> None:
        self.timings[name] = round(self.timings.get(name, 0.0) + seconds, 4)

    def skip(self, path: str, reason: str, stage: str) -> None:
        self.skipped.append(Skipped(path=path, reason=reason, stage=stage))

    @contextmanager
    def guarded(self, stage: str, kind: str, name: str, where: str) -> Iterator[None]:
        """Time one part of a stage (``stage/name``) and turn its crash into a ``skipped`` entry
        for ``where``, so the other parts still run and their results are kept."""
        started = time.perf_counter()
        try:
            yield
        except Exception as exc:
            self.skip(where, f"{kind} {name} failed: {exc!r}", stage)
        finally:
            self.timed(f"{stage}/{name}", time.perf_counter() - started)
