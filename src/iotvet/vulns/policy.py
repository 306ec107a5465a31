"""CI gate: does a list of vulnerabilities trip a ``--fail-on`` policy?

Policy terms (comma-separated, any one trips): a severity — ``critical``, ``high``, ``medium``,
``low`` — meaning "that severity or worse", and ``kev`` — any known exploited vulnerability.
Only vulnerabilities with status ``affected`` count: ``not_affected``/``fixed`` (VEX, distro
backports, absent BusyBox applets) and ``inconclusive``/``under_investigation`` do not fail a
build; they are listed in the report for a human to decide.
"""

from __future__ import annotations

from ..model import SEVERITY_ORDER, Vulnerability

TERMS = ("critical", "high", "medium", "low", "kev")


def parse_policy(text: str) -> list[str]:
    terms = [t.strip().lower() for t in text.split(",") if t.strip()]
    unknown = [t for t in terms if t not in TERMS]
    if unknown:
        raise ValueError(f"unknown --fail-on term(s) {', '.join(unknown)}; use {', '.join(TERMS)}")
    return terms


def tripping(vulns: list[Vulnerability], policy: str) -> list[Vulnerability]:
    """The affected vulnerabilities that trip ``policy`` (empty: the gate passes)."""
    terms = parse_policy(policy)
    floors = [SEVERITY_ORDER[t] for t in terms if t in SEVERITY_ORDER]
    floor = min(floors) if floors else None
    out = []
    for vuln in vulns:
        if vuln.status != "affected":
            continue
        rank = SEVERITY_ORDER.get(vuln.severity or "", -1)
        if ("kev" in terms and vuln.kev) or (floor is not None and rank >= floor):
            out.append(vuln)
    return out
