"""EN 303 645 implementation conformance statement, in the layout of its Table B.1.

One row per provision: clause, (paraphrased) title, status, the V2.1.1 provision it continues,
Support (Y / N / N/A) and Detail. iotvet fills Support from its verdicts; a row it cannot decide
keeps the manufacturer's own answer from ``declarations.ics`` (marked as a manufacturer statement),
or stays open. Where the manufacturer's answer and the verdict disagree, the verdict wins and the
detail says so: the ICS must not claim what the firmware contradicts.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from ..model import Verdict
from .catalog import load_catalog
from .declarations import Declarations
from .render import render

REGIME = "etsi-en-303-645"
_SUPPORT = {"pass": "Y", "fail": "N", "not-applicable": "N/A"}


@dataclass
class IcsRow:
    clause: str
    title: str
    status: str
    v2: str
    support: str  # Y, N, N/A or "" (open)
    detail: str
    result: str


def ics_rows(verdicts: list[Verdict], declarations: Declarations | None) -> list[IcsRow]:
    catalog = load_catalog(REGIME)
    mine = {v.requirement: v for v in verdicts if v.regime == REGIME}
    if not mine:
        raise ValueError("no EN 303 645 verdicts: assess with --regime etsi-en-303-645 (or all)")
    answers = declarations.ics if declarations is not None else {}
    rows: list[IcsRow] = []
    for req in catalog.requirements:
        verdict = mine[req.id]
        answer = answers.get(req.id)
        support = _SUPPORT.get(verdict.result, "")
        declared = answer.support if answer is not None else None
        declared_detail = (answer.detail or "").strip() if answer is not None else ""
        if support:
            detail = declared_detail or verdict.reason
            if declared and declared != support:
                detail = f"Declared {declared}, but iotvet found {support}: {verdict.reason}" + (
                    f" (manufacturer: {declared_detail})" if declared_detail else ""
                )
        elif declared:
            support = declared
            detail = f"{declared_detail} [manufacturer statement; iotvet: {verdict.reason}]"
        else:
            detail = f"Open ({verdict.result}): {verdict.reason}"
        v2 = req.v2_id or "new"
        if req.v2_status:
            v2 = f"{v2} ({req.v2_status})"
        rows.append(
            IcsRow(
                clause=req.id,
                title=req.title,
                status=req.status or "",
                v2=v2,
                support=support,
                detail=detail.strip(),
                result=verdict.result,
            )
        )
    return rows


def ics_csv(rows: list[IcsRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Clause", "Title (paraphrased)", "Status", "V2.1.1", "Support", "Detail"])
    for r in rows:
        writer.writerow([r.clause, r.title, r.status, r.v2, r.support, r.detail])
    return out.getvalue()


def ics_html(rows: list[IcsRow], product: str) -> str:
    catalog = load_catalog(REGIME)
    return render("iotvet.standards", "ics.html.j2", rows=rows, product=product, catalog=catalog)


def write_ics(
    verdicts: list[Verdict], declarations: Declarations | None, product: str, directory: Path
) -> list[Path]:
    rows = ics_rows(verdicts, declarations)
    html_path = directory / "ics-en-303-645.html"
    csv_path = directory / "ics-en-303-645.csv"
    html_path.write_text(ics_html(rows, product), encoding="utf-8")
    csv_path.write_text(ics_csv(rows), encoding="utf-8")
    return [html_path, csv_path]
