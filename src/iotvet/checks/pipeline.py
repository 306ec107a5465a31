"""Run every registered check family over every root file system and number the findings."""

from __future__ import annotations

import time

from ..context import ScanContext
from ..model import SEVERITY_ORDER, Finding
from .registry import families
from .themes import theme_verdicts

__all__ = ["run_checks", "theme_verdicts"]


def run_checks(ctx: ScanContext) -> list[Finding]:
    """Findings of all families on all roots, ordered by severity, with ids F1, F2, …

    A family that crashes on one root is reported in ``skipped`` and the others still run.
    """
    findings: list[Finding] = []
    for root in ctx.roots:
        for family in families():
            started = time.perf_counter()
            try:
                findings.extend(family.run(root, ctx))
            except Exception as exc:
                ctx.skip(root.label, f"check family {family.name} failed: {exc!r}", "checks")
            ctx.timed(f"checks/{family.name}", time.perf_counter() - started)
    ctx.families_ran = [family.name for family in families()] if ctx.roots else []
    findings.sort(key=lambda f: (-SEVERITY_ORDER[f.severity], f.check, f.path or ""))
    for index, finding in enumerate(findings, 1):
        finding.id = f"F{index}"
    return findings
