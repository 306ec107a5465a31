"""The conformity matrix: per regime, every requirement with its verdict, reason and evidence.

HTML first (one self-contained file: inline CSS, no scripts), PDF from the same HTML through
WeasyPrint, so both always say the same thing. The summary at the top is for the reader who has one
minute: per regime how many requirements pass, fail or wait for a declaration, and whether the
product may carry the label.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..model import Report, Verdict
from .catalog import Catalog, Requirement
from .declarations import Declarations
from .render import render, write_pdf
from .summary import RegimeSummary, summarize

KIND_LABELS = {
    "evidence": "firmware evidence",
    "declaration": "declaration",
    "evidence+declaration": "evidence + declaration",
    "aggregate": "sub-requirements",
    "document-only": "document only",
}


@dataclass
class Row:
    requirement: Requirement
    verdict: Verdict
    depth: int
    kind: str

    @property
    def aggregate(self) -> bool:
        return self.kind == "sub-requirements"


def _depth(catalog: Catalog, req: Requirement) -> int:
    depth = 0
    while req.parent is not None and depth < 8:
        req = catalog.get(req.parent)
        depth += 1
    return depth


def rows(summary: RegimeSummary) -> list[Row]:
    return [
        Row(
            requirement=summary.requirement(v),
            verdict=v,
            depth=_depth(summary.catalog, summary.requirement(v)),
            kind=KIND_LABELS[summary.requirement(v).decide.kind],
        )
        for v in summary.verdicts
    ]


def product_facts(report: Report, declarations: Declarations | None) -> dict[str, str]:
    """Name, model, manufacturer and firmware version, from the declaration or the report."""
    facts = {
        "name": Path(report.target.path).name,
        "model": "",
        "manufacturer": "",
        "firmware_version": "",
    }
    if declarations is not None:
        p = declarations.product
        facts.update(
            name=p.name,
            model=p.model or "",
            manufacturer=p.manufacturer or "",
            firmware_version=p.firmware_version or "",
        )
    return facts


def render_matrix(
    report: Report,
    verdicts: list[Verdict],
    declarations: Declarations | None,
    generated: dt.datetime | None = None,
) -> str:
    """The matrix as one HTML document."""
    from ..label.eligibility import eligibility

    summaries = summarize(verdicts)
    label = eligibility(verdicts) if any(v.regime == "nist-ir-8425" for v in verdicts) else None
    return render(
        "iotvet.standards",
        "matrix.html.j2",
        product=product_facts(report, declarations),
        report=report,
        summaries=summaries,
        sections=[(s, rows(s)) for s in summaries],
        eligibility=label,
        declared=declarations is not None,
        generated=(generated or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M UTC"),
        version=__version__,
    )


def write_matrix(
    report: Report,
    verdicts: list[Verdict],
    declarations: Declarations | None,
    html_path: Path,
    pdf_path: Path | None = None,
) -> list[Path]:
    """Write the HTML matrix (and the PDF when ``pdf_path`` is given); return the paths."""
    html = render_matrix(report, verdicts, declarations)
    html_path.write_text(html, encoding="utf-8")
    written = [html_path]
    if pdf_path is not None:
        written.append(write_pdf(html, pdf_path))
    return written
