"""OSCAL assessment results, built with compliance-trestle's OSCAL models (which validate).

One ``result`` per regime; per verdict one observation (how it was decided, with the evidence
pointers as relevant evidence) and one finding whose target is the requirement, satisfied or not.
OSCAL states are binary, so the iotvet result is kept as a property (``iotvet-result``) and the
objective status reason is ``pass``, ``fail`` or ``other`` (not applicable, needs declaration,
inconclusive). OSCAL requires an import of an assessment plan; iotvet runs no separately authored
plan, so ``import-ap`` points to a back-matter resource that describes the automated assessment.
Requirement ids become OSCAL tokens "<regime>-<id>" ("etsi-en-303-645-5.1-1").
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from trestle.oscal import OSCAL_VERSION
from trestle.oscal.assessment_results import AssessmentResults

from .. import __version__
from ..model import Report, Verdict
from .catalog import load_catalog

_NAMESPACE = uuid.UUID("6f1c7c52-3b7e-4a57-9d3c-1c2b4c7e9a10")
_TOKEN_BAD = re.compile(r"[^A-Za-z0-9_.\-]")


def control_id(regime: str, requirement: str) -> str:
    """An OSCAL token for a requirement ("/" and other characters become "_")."""
    return _TOKEN_BAD.sub("_", f"{regime}-{requirement}")


def _uuid(*parts: str) -> str:
    """Deterministic per run (the run id is one of the parts), so documents diff cleanly."""
    return str(uuid.uuid5(_NAMESPACE, "|".join(parts)))


def _methods(verdict: Verdict) -> list[str]:
    declared = [p.startswith("declarations.") for p in verdict.evidence]
    methods = (["TEST"] if not all(declared) else []) + (["EXAMINE"] if any(declared) else [])
    return methods if verdict.evidence else ["UNKNOWN"]


def _result(regime: str, items: list[Verdict], run: str, stamp: str, target: str) -> dict[str, Any]:
    catalog = load_catalog(regime)
    observations: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    for v in items:
        req = catalog.get(v.requirement)
        obs_id = _uuid(run, stamp, regime, v.requirement, "observation")
        observation: dict[str, Any] = {
            "uuid": obs_id,
            "title": f"{req.id}: {v.result}",
            "description": v.reason or v.result,
            "methods": _methods(v),
            "types": ["finding"],
            "collected": stamp,
        }
        if v.evidence:
            observation["relevant-evidence"] = [{"description": p} for p in v.evidence]
        observations.append(observation)
        satisfied = v.result in ("pass", "not-applicable")
        findings.append(
            {
                "uuid": _uuid(run, stamp, regime, v.requirement, "finding"),
                "title": f"{req.id} {req.title}",
                "description": v.reason or v.result,
                "props": [{"name": "iotvet-result", "value": v.result}],
                "target": {
                    "type": "objective-id",
                    "target-id": control_id(regime, v.requirement),
                    "status": {
                        "state": "satisfied" if satisfied else "not-satisfied",
                        "reason": {"pass": "pass", "fail": "fail"}.get(v.result, "other"),
                    },
                },
                "related-observations": [{"observation-uuid": obs_id}],
            }
        )
    return {
        "uuid": _uuid(run, stamp, regime, "result"),
        "title": f"{catalog.title} ({catalog.version})",
        "description": f"iotvet verdicts for {target}",
        "start": stamp,
        "end": stamp,
        "reviewed-controls": {
            "control-selections": [
                {
                    "include-controls": [
                        {"control-id": control_id(regime, v.requirement)} for v in items
                    ]
                }
            ]
        },
        "observations": observations,
        "findings": findings,
    }


def build_assessment_results(
    report: Report, verdicts: list[Verdict], when: dt.datetime | None = None
) -> AssessmentResults:
    """The assessment results, validated by trestle's OSCAL model (raises on invalid data)."""
    stamp = (when or dt.datetime.now(dt.UTC)).isoformat()
    run = report.target.sha256 or report.target.path
    plan_ref = _uuid(run, stamp, "plan")
    by_regime: dict[str, list[Verdict]] = {}
    for v in verdicts:
        by_regime.setdefault(v.regime, []).append(v)
    metadata: dict[str, Any] = {
        "title": f"iotvet assessment results: {report.target.path}",
        "last-modified": stamp,
        "version": __version__,
        "oscal-version": OSCAL_VERSION,
    }
    if report.target.sha256:
        metadata["props"] = [{"name": "firmware-sha256", "value": report.target.sha256}]
    document = {
        "uuid": _uuid(run, stamp, "assessment-results"),
        "metadata": metadata,
        "import-ap": {"href": f"#{plan_ref}"},
        "results": [
            _result(regime, items, run, stamp, report.target.path)
            for regime, items in by_regime.items()
        ],
        "back-matter": {
            "resources": [
                {
                    "uuid": plan_ref,
                    "title": "iotvet automated assessment (no separately authored assessment plan)",
                    "description": "Static analysis of the firmware image plus the manufacturer's "
                    "declaration file, against the iotvet requirement catalogs.",
                }
            ]
        },
    }
    return AssessmentResults.model_validate(document)


def render_oscal(report: Report, verdicts: list[Verdict]) -> str:
    """The assessment results as OSCAL JSON (wrapped in ``assessment-results``)."""
    return build_assessment_results(report, verdicts).oscal_serialize_json(pretty=True) + "\n"
