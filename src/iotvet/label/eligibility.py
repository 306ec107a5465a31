"""Label eligibility: every NIST IR 8425 criterion passes, by firmware evidence or by declaration.

The U.S. Cyber Trust Mark takes NIST IR 8425 as its technical criteria (FCC 24-26 ¶¶ 96-99). A
product is eligible here when each criterion (the sub-criteria, not the capability headings that
merely aggregate them) passes. Anything else is a blocker, reported with its reason and the fix the
catalog names, so the user knows exactly what to change in the firmware or the declaration file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model import Verdict
from ..standards.catalog import load_catalog

REGIME = "nist-ir-8425"


@dataclass
class Blocker:
    requirement: str
    title: str
    result: str
    reason: str
    fix: str
    evidence: list[str] = field(default_factory=list)


@dataclass
class Eligibility:
    eligible: bool
    criteria: int
    blockers: list[Blocker]
    by_evidence: int = 0
    by_declaration: int = 0


def eligibility(verdicts: list[Verdict]) -> Eligibility:
    """Whether the NIST IR 8425 verdicts in ``verdicts`` make the product label-eligible."""
    catalog = load_catalog(REGIME)
    mine = {v.requirement: v for v in verdicts if v.regime == REGIME}
    if not mine:
        raise ValueError("no NIST IR 8425 verdicts: assess with --regime nist-ir-8425 (or all)")
    blockers: list[Blocker] = []
    criteria = by_evidence = by_declaration = 0
    for req in catalog.requirements:
        if req.decide.children or req.decide.requirements:
            continue
        criteria += 1
        verdict = mine.get(req.id)
        if verdict is None:
            blockers.append(Blocker(req.id, req.title, "missing", "not assessed", "re-run assess"))
            continue
        if verdict.result == "pass":
            declared_only = all(e.startswith("declarations.") for e in verdict.evidence)
            if declared_only and verdict.evidence:
                by_declaration += 1
            else:
                by_evidence += 1
            continue
        if verdict.result == "not-applicable":
            continue
        blockers.append(
            Blocker(
                requirement=req.id,
                title=req.title,
                result=verdict.result,
                reason=verdict.reason,
                fix=req.fix or "see the reason",
                evidence=verdict.evidence,
            )
        )
    return Eligibility(
        eligible=not blockers,
        criteria=criteria,
        blockers=blockers,
        by_evidence=by_evidence,
        by_declaration=by_declaration,
    )
