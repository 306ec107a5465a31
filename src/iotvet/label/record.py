"""The registry record: the 47 CFR § 8.222(b) fields of the product, as JSON.

Every field comes from the fcc-registry catalog: its declaration fields are the values, its verdict
says whether the field is complete. The record also carries the NIST IR 8425 outcome the label
rests on and the firmware it was assessed on, so a reader can trace the record to the evidence.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .. import __version__
from ..model import Report, Verdict
from ..standards.catalog import load_catalog
from ..standards.declarations import Declarations
from .eligibility import Eligibility

RECORD_SCHEMA = "iotvet/registry-record/1"
REGIME = "fcc-registry"


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def registry_record(
    report: Report,
    verdicts: list[Verdict],
    declarations: Declarations,
    label: Eligibility,
    url: str,
    generated: dt.datetime | None = None,
) -> dict[str, Any]:
    catalog = load_catalog(REGIME)
    mine = {v.requirement: v for v in verdicts if v.regime == REGIME}
    if not mine:
        raise ValueError("no fcc-registry verdicts: assess with --regime fcc-registry (or all)")
    fields: list[dict[str, Any]] = []
    for req in catalog.requirements:
        if req.decide.document_only:
            continue
        paths = [p for rule in req.decide.declare for p in [rule.field, *rule.or_fields]]
        fields.append(
            {
                "id": req.id,
                "field": req.title,
                "source": req.source.ref,
                "values": {p: _json_value(declarations.get(p)) for p in paths},
                "status": mine[req.id].result,
                **({"note": mine[req.id].reason} if mine[req.id].result != "pass" else {}),
            }
        )
    nist = load_catalog("nist-ir-8425")
    return {
        "schema": RECORD_SCHEMA,
        "record_url": url,
        "product": {
            "name": declarations.product.name,
            "model": declarations.product.model,
            "manufacturer": declarations.product.manufacturer,
            "firmware_version": declarations.product.firmware_version,
        },
        "fields": fields,
        "complete": all(f["status"] == "pass" for f in fields),
        "criteria": {
            "standard": f"{nist.title} ({nist.version})",
            "eligible": label.eligible,
            "criteria": label.criteria,
            "passed_by_firmware_evidence": label.by_evidence,
            "passed_by_declaration": label.by_declaration,
        },
        "assessment": {
            "tool": f"iotvet {__version__}",
            "firmware": report.target.path,
            "firmware_sha256": report.target.sha256,
            "generated": (generated or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    }
