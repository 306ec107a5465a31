"""CycloneDX 1.6 attestation (CDXA): the SBOM, the catalogs and the verdicts in one document.

The SBOM part is the project's own CycloneDX SBOM (``report.cyclonedx.build_bom``); the catalogs
go into ``definitions.standards`` through cyclonedx-python-lib's definition model. The library has
no model for ``declarations`` (assessors, attestations, claims, evidence), so that part is added as
JSON following the 1.6 schema, and the whole document is then validated against the CycloneDX 1.6
JSON schema shipped with the library: an invalid attestation is an error, never a file.

Per verdict: a claim about the firmware (bom-ref of ``metadata.component``) with its reasoning and
one evidence record listing the pointers (finding ids, paths, declaration fields). A failed
requirement's claim is a counter-claim. ``conformance.score`` is 1 for pass and not-applicable, 0
otherwise; ``confidence.score`` says how much of the verdict rests on firmware evidence rather
than on the manufacturer's unverified statements.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from cyclonedx.model import Property
from cyclonedx.model.definition import Definitions, Level, Standard
from cyclonedx.model.definition import Requirement as CdxRequirement
from cyclonedx.output.json import JsonV1Dot6
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from .. import __version__
from ..model import Report, Verdict
from ..report.cyclonedx import build_bom
from .catalog import Catalog, Requirement, load_catalog

ASSESSOR_REF = "assessor:iotvet"

# How much of a verdict rests on firmware evidence (1) versus manufacturer statements (0.5).
_CONFIDENCE = {
    "evidence": (0.8, "decided from static analysis of the firmware image"),
    "evidence+declaration": (0.7, "firmware evidence combined with manufacturer statements"),
    "declaration": (0.5, "decided from the manufacturer's declaration, not verified by iotvet"),
    "aggregate": (0.7, "aggregate of the sub-requirements' verdicts"),
    "document-only": (0.0, "a document-only obligation: nothing to decide automatically"),
}


class AttestationError(ValueError):
    """The attestation did not validate against the CycloneDX 1.6 schema."""


def _std_ref(regime: str) -> str:
    return f"standard:{regime}"


def _req_ref(regime: str, requirement: str) -> str:
    return f"requirement:{regime}:{requirement}"


def _requirement(catalog: Catalog, req: Requirement) -> CdxRequirement:
    props = [Property(name="iotvet:decided-by", value=req.decide.kind)]
    if req.status:
        props.append(Property(name="iotvet:status", value=req.status))
    if req.v2_id:
        props.append(Property(name="iotvet:v2-id", value=req.v2_id))
    for kind in req.evidence_kinds:
        props.append(Property(name="iotvet:evidence-kind", value=kind))
    for code in req.checks:
        props.append(Property(name="iotvet:check", value=code))
    if req.unverified:
        props.append(Property(name="iotvet:unverified", value=req.unverified))
    return CdxRequirement(
        bom_ref=_req_ref(catalog.regime, req.id),
        identifier=req.id,
        title=req.title,
        text=req.text,
        descriptions=[f"Source: {req.source.ref}"],
        parent=_req_ref(catalog.regime, req.parent) if req.parent else None,
        properties=props,
    )


def _standard(catalog: Catalog) -> Standard:
    levels: list[Level] = []
    if catalog.regime == "etsi-en-303-645":
        for level, title in (("M", "Mandatory provisions"), ("R", "Recommended provisions")):
            refs = [
                _req_ref(catalog.regime, r.id) for r in catalog.requirements if r.level == level
            ]
            levels.append(
                Level(
                    bom_ref=f"level:{catalog.regime}:{level}",
                    identifier=level,
                    title=title,
                    requirements=refs,
                )
            )
    return Standard(
        bom_ref=_std_ref(catalog.regime),
        name=catalog.title,
        version=catalog.version,
        description=catalog.license_note,
        owner=catalog.publisher,
        requirements=[_requirement(catalog, r) for r in catalog.requirements],
        levels=levels,
    )


def _declarations(verdicts: list[Verdict], target_ref: str, created: str) -> dict[str, Any]:
    claims: list[dict[str, Any]] = []
    evidence: list[dict[str, Any]] = []
    attestations: list[dict[str, Any]] = []
    by_regime: dict[str, list[Verdict]] = {}
    for v in verdicts:
        by_regime.setdefault(v.regime, []).append(v)
    for regime, items in by_regime.items():
        catalog = load_catalog(regime)
        mapping: list[dict[str, Any]] = []
        for v in items:
            req = catalog.get(v.requirement)
            key = f"{regime}:{v.requirement}"
            evidence.append(
                {
                    "bom-ref": f"evidence:{key}",
                    "propertyName": "iotvet:verdict",
                    "description": f"{v.result}: {v.reason}",
                    "data": [
                        {
                            "name": "evidence pointers",
                            "contents": {
                                "attachment": {
                                    "contentType": "text/plain",
                                    "content": "\n".join(v.evidence) or "(none)",
                                }
                            },
                        }
                    ],
                    "created": created,
                }
            )
            claims.append(
                {
                    "bom-ref": f"claim:{key}",
                    "target": target_ref,
                    "predicate": f"{req.id} {req.title}: {v.result}",
                    "reasoning": v.reason or v.result,
                    "evidence": [f"evidence:{key}"],
                }
            )
            score, why = _CONFIDENCE[req.decide.kind]
            if v.result not in ("pass", "fail", "not-applicable"):
                score, why = 0.0, f"{v.result}: no decision yet"
            entry: dict[str, Any] = {
                "requirement": _req_ref(regime, v.requirement),
                "conformance": {
                    "score": 1.0 if v.result in ("pass", "not-applicable") else 0.0,
                    "rationale": f"{v.result}: {v.reason}",
                },
                "confidence": {"score": score, "rationale": why},
            }
            entry["counterClaims" if v.result == "fail" else "claims"] = [f"claim:{key}"]
            mapping.append(entry)
        attestations.append(
            {
                "summary": f"{catalog.title}: iotvet verdicts for the firmware image",
                "assessor": ASSESSOR_REF,
                "map": mapping,
            }
        )
    return {
        "assessors": [
            {
                "bom-ref": ASSESSOR_REF,
                "thirdParty": False,
                "organization": {"name": f"iotvet {__version__} (automated assessment)"},
            }
        ],
        "attestations": attestations,
        "claims": claims,
        "evidence": evidence,
    }


def build_attestation(
    report: Report, verdicts: list[Verdict], created: dt.datetime | None = None
) -> dict[str, Any]:
    """The attestation as a JSON-ready dict (validated; raises AttestationError)."""
    bom = build_bom(report)
    regimes = list(dict.fromkeys(v.regime for v in verdicts))
    bom.definitions = Definitions(standards=[_standard(load_catalog(r)) for r in regimes])
    document: dict[str, Any] = json.loads(JsonV1Dot6(bom).output_as_string())
    component = bom.metadata.component
    target_ref = component.bom_ref.value if component and component.bom_ref.value else "target"
    stamp = (created or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    document["declarations"] = _declarations(verdicts, target_ref, stamp)
    validate(document)
    return document


def validate(document: dict[str, Any]) -> None:
    """Validate against the CycloneDX 1.6 JSON schema (strict); raise AttestationError."""
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(document))
    if error is not None:
        raise AttestationError(f"CycloneDX 1.6 schema validation failed: {error}")


def render_attestation(report: Report, verdicts: list[Verdict]) -> str:
    return json.dumps(build_attestation(report, verdicts), indent=2) + "\n"
