"""Run every registered check family over every root file system and number the findings."""

from __future__ import annotations

from ..context import ScanContext
from ..model import SEVERITY_ORDER, Finding
from .registry import families


def run_checks(ctx: ScanContext) -> list[Finding]:
    """Findings of all families on all roots, ordered by severity, with ids F1, F2, …

    A family that crashes on one root is reported in ``skipped`` and the others still run.
    """
    findings: list[Finding] = []
    for root in ctx.roots:
        for family in families():
            with ctx.guarded("checks", "check family", family.name, root.label):
                findings.extend(family.run(root, ctx))
    ctx.families_ran = [family.name for family in families()] if ctx.roots else []
    findings.sort(key=lambda f: (-SEVERITY_ORDER[f.severity], f.check, f.path or ""))
    for index, finding in enumerate(findings, 1):
        finding.id = f"F{index}"
    return findings
