"""A crashing part of a stage is reported in ``skipped`` and the scan goes on."""

from __future__ import annotations

from pathlib import Path

from iotvet.context import ScanContext
from iotvet.rootfs import RootFS


def test_guarded_part_records_the_crash_and_its_time(tmp_path: Path) -> None:
    ctx = ScanContext(roots=[RootFS(tmp_path, label="/")])
    reached_after = False
    with ctx.guarded("checks", "check family", "broken", "/"):
        raise RuntimeError("bad input")
    reached_after = True
    with ctx.guarded("checks", "check family", "fine", "/"):
        pass
    assert reached_after
    assert [(s.path, s.stage) for s in ctx.skipped] == [("/", "checks")]
    assert "check family broken failed" in ctx.skipped[0].reason
    assert "bad input" in ctx.skipped[0].reason
    assert set(ctx.timings) == {"checks/broken", "checks/fine"}
