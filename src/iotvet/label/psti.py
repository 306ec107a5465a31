"""UK PSTI statement of compliance (PSTI Act 2022 s. 9; SI 2023/1007 Schedule 4).

Written only when the three security requirements (PSTI-1..3) pass and every item the statement
must contain is declared; otherwise the caller gets the blockers with their fixes. The statement
cites the evidence behind each requirement (the iotvet verdicts and the EN 303 645 provisions of
the deemed-compliance route), so it can be checked, not just signed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..model import Verdict
from ..standards.catalog import load_catalog
from ..standards.declarations import Declarations
from ..standards.render import render, write_pdf
from .eligibility import Blocker

REGIME = "uk-psti"


@dataclass
class PstiStatement:
    ready: bool
    blockers: list[Blocker] = field(default_factory=list)
    html: str = ""


def psti_statement(verdicts: list[Verdict], declarations: Declarations) -> PstiStatement:
    catalog = load_catalog(REGIME)
    mine = {v.requirement: v for v in verdicts if v.regime == REGIME}
    if not mine:
        raise ValueError("no UK PSTI verdicts: assess with --regime uk-psti (or all)")
    blockers = [
        Blocker(
            r.id,
            r.title,
            mine[r.id].result,
            mine[r.id].reason,
            r.fix or "see the reason",
            mine[r.id].evidence,
        )
        for r in catalog.requirements
        if not r.decide.document_only and mine[r.id].result != "pass"
    ]
    if blockers:
        return PstiStatement(ready=False, blockers=blockers)
    etsi = {v.requirement: v for v in verdicts if v.regime == "etsi-en-303-645"}
    requirements = [
        (r, mine[r.id], [(m.split(":", 1)[1], etsi.get(m.split(":", 1)[1])) for m in r.maps_to])
        for r in catalog.requirements
        if r.id in ("PSTI-1", "PSTI-2", "PSTI-3")
    ]
    html = render(
        "iotvet.label",
        "psti.html.j2",
        d=declarations,
        requirements=requirements,
        catalog=catalog,
    )
    return PstiStatement(ready=True, html=html)


def write_psti(statement: PstiStatement, directory: Path) -> list[Path]:
    if not statement.ready:
        raise ValueError("the PSTI statement of compliance is blocked; see its blockers")
    html_path = directory / "psti-statement-of-compliance.html"
    html_path.write_text(statement.html, encoding="utf-8")
    return [html_path, write_pdf(statement.html, directory / "psti-statement-of-compliance.pdf")]
