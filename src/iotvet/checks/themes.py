"""Theme verdicts: from all findings of a scan to pass / fail / inconclusive per baseline theme.

Why: the conformity engine consumes device-level verdicts ("does this firmware have a universal
default password?"), each with the findings that decide it, not thousands of findings. The rules
live in data/theme_rules.yaml so an assessor can review them: a failing finding (severity low or
above) counts against every theme it names; info findings are evidence only; a pass needs every
deciding family to have run and, for some themes, positive evidence (a started log daemon, a
verified update signature). Without that the verdict is inconclusive, never a silent pass.
"""

from __future__ import annotations

from typing import Any

from .. import datafiles
from ..model import SEVERITY_ORDER, Finding, ThemeVerdict


def _rules() -> dict[str, dict[str, Any]]:
    rules: dict[str, dict[str, Any]] = datafiles.load("theme_rules.yaml")["themes"]
    return rules


def theme_verdicts(findings: list[Finding], families_ran: list[str]) -> list[ThemeVerdict]:
    """One verdict per theme that has a rule, in the order of the rules file."""
    ran = set(families_ran)
    verdicts: list[ThemeVerdict] = []
    for theme, rule in _rules().items():
        failing = sorted(
            (f for f in findings if theme in f.themes and f.severity != "info"),
            key=lambda f: -SEVERITY_ORDER[f.severity],
        )
        if failing:
            titles = "; ".join(dict.fromkeys(f.title for f in failing[:8]))
            more = f" (+{len(failing) - 8} more)" if len(failing) > 8 else ""
            verdicts.append(
                ThemeVerdict(
                    theme=theme,
                    result="fail",
                    findings=[f.id for f in failing],
                    reason=titles + more,
                )
            )
            continue
        missing = [name for name in rule.get("requires_families", []) if name not in ran]
        if missing:
            verdicts.append(
                ThemeVerdict(
                    theme=theme,
                    result="inconclusive",
                    reason=f"no failing finding, but the deciding check families "
                    f"{', '.join(missing)} did not run",
                )
            )
            continue
        wanted = set(rule.get("pass_evidence", []))
        evidence = [f for f in findings if f.check in wanted and f.severity == "info"]
        if wanted and not evidence:
            verdicts.append(
                ThemeVerdict(
                    theme=theme,
                    result="inconclusive",
                    reason=str(rule.get("inconclusive_reason", "positive evidence missing")),
                )
            )
            continue
        verdicts.append(
            ThemeVerdict(
                theme=theme,
                result="pass",
                findings=[f.id for f in evidence],
                reason=str(rule.get("pass_reason", "no failing finding")),
            )
        )
    return verdicts
