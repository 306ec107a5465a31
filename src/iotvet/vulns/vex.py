"""VEX: read OpenVEX, CycloneDX VEX and CSAF VEX into a triage store; write all three.

Triage decisions ("CVE-X does not affect busybox 1.35.0 here: vulnerable code not present")
must survive re-scans and database updates, so they live in their own SQLite file beside the
vulnerability DB (``triage.sqlite``), keyed by (vulnerability id, product). A product is a purl
(with or without version; qualifiers ignored), a CPE, or ``name@version``/``name``. When the
matcher finds a vulnerability, the most specific statement for the component sets its status,
justification and reason.

Status and justification vocabulary inside iotvet is OpenVEX's (the same labels as CSAF flags);
CycloneDX ``analysis`` states and justifications are mapped on the way in and out.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from packageurl import PackageURL

from ..model import Component, Vulnerability
from .sources import csaf

OPENVEX_CONTEXT = "https://openvex.dev/ns/v0.2.0"
STATUSES = ("not_affected", "affected", "fixed", "under_investigation")
JUSTIFICATIONS = (
    "component_not_present",
    "vulnerable_code_not_present",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "inline_mitigations_already_exist",
)
#: CycloneDX analysis.state → OpenVEX status.
CDX_STATE = {
    "not_affected": "not_affected",
    "false_positive": "not_affected",
    "resolved": "fixed",
    "resolved_with_pedigree": "fixed",
    "exploitable": "affected",
    "in_triage": "under_investigation",
}
#: CycloneDX analysis.justification → OpenVEX justification.
CDX_JUSTIFICATION = {
    "code_not_present": "vulnerable_code_not_present",
    "code_not_reachable": "vulnerable_code_not_in_execute_path",
    "requires_configuration": "vulnerable_code_cannot_be_controlled_by_adversary",
    "requires_dependency": "component_not_present",
    "requires_environment": "vulnerable_code_cannot_be_controlled_by_adversary",
    "protected_by_compiler": "inline_mitigations_already_exist",
    "protected_at_runtime": "inline_mitigations_already_exist",
    "protected_at_perimeter": "inline_mitigations_already_exist",
    "protected_by_mitigating_control": "inline_mitigations_already_exist",
}
#: OpenVEX justification → CycloneDX justification (for writing).
OPENVEX_TO_CDX = {
    "component_not_present": "requires_dependency",
    "vulnerable_code_not_present": "code_not_present",
    "vulnerable_code_not_in_execute_path": "code_not_reachable",
    "vulnerable_code_cannot_be_controlled_by_adversary": "requires_environment",
    "inline_mitigations_already_exist": "protected_by_mitigating_control",
}
_SCHEMA = """
CREATE TABLE IF NOT EXISTS statement (
    vuln_id TEXT NOT NULL, product TEXT NOT NULL, status TEXT NOT NULL, justification TEXT,
    impact TEXT, action TEXT, source TEXT, author TEXT, timestamp TEXT,
    PRIMARY KEY (vuln_id, product)) WITHOUT ROWID;
"""


@dataclass
class Statement:
    vuln_id: str
    product: str
    status: str
    justification: str | None = None
    impact: str | None = None
    action: str | None = None
    source: str | None = None
    author: str | None = None
    timestamp: str | None = None


def product_key(product: str) -> str:
    """Normalise a product reference: purls lose qualifiers and subpath; others are lowercased."""
    text = product.strip()
    if text.startswith("pkg:"):
        try:
            purl = PackageURL.from_string(text)
        except ValueError:
            return text
        return PackageURL(purl.type, purl.namespace, purl.name, purl.version).to_string()
    return text.lower()


def component_keys(component: Component) -> list[str]:
    """Product keys that name ``component``, most specific first."""
    keys: list[str] = []
    if component.purl:
        exact = product_key(component.purl)
        keys.append(exact)
        try:
            purl = PackageURL.from_string(exact)
            keys.append(PackageURL(purl.type, purl.namespace, purl.name).to_string())
        except ValueError:
            pass
    if component.cpe:
        keys.append(component.cpe.lower())
    if component.version:
        keys.append(f"{component.name}@{component.version}".lower())
    keys.append(component.name.lower())
    return list(dict.fromkeys(keys))


class TriageStore:
    """The triage file: VEX statements that survive re-scans and DB updates."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.conn = sqlite3.connect(path)
        self.conn.executescript(_SCHEMA)

    def __enter__(self) -> TriageStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.conn.close()

    def add(self, statements: Iterable[Statement]) -> int:
        count = 0
        with self.conn:
            for st in statements:
                if st.status not in STATUSES:
                    continue
                self.conn.execute(
                    "INSERT OR REPLACE INTO statement VALUES (?,?,?,?,?,?,?,?,?)",
                    (
                        st.vuln_id,
                        product_key(st.product),
                        st.status,
                        st.justification,
                        st.impact,
                        st.action,
                        st.source,
                        st.author,
                        st.timestamp,
                    ),
                )
                count += 1
        return count

    def statements(self) -> list[Statement]:
        rows = self.conn.execute("SELECT * FROM statement ORDER BY vuln_id, product").fetchall()
        return [Statement(*row) for row in rows]

    def lookup(self, vuln_ids: Iterable[str], component: Component) -> Statement | None:
        ids = list(dict.fromkeys(vuln_ids))
        for key in component_keys(component):
            for vid in ids:
                row = self.conn.execute(
                    "SELECT * FROM statement WHERE vuln_id=? AND product=?", (vid, key)
                ).fetchone()
                if row:
                    return Statement(*row)
        return None

    def apply(self, vulns: list[Vulnerability], components: list[Component]) -> int:
        """Set status/justification of matched vulnerabilities from stored statements."""
        by_ref: dict[str, Component] = {}
        for component in components:
            by_ref.setdefault(component.ref, component)
        applied = 0
        for vuln in vulns:
            owner = by_ref.get(vuln.component)
            if owner is None:
                continue
            st = self.lookup([vuln.id, *vuln.aliases], owner)
            if st is None:
                continue
            vuln.status = "under_investigation" if st.status not in STATUSES else st.status  # type: ignore[assignment]
            vuln.justification = st.justification
            detail = st.impact or st.action or ""
            vuln.reason = f"VEX ({st.source or 'triage'}): {st.status}" + (
                f" — {detail}" if detail else ""
            )
            vuln.triage = {  # type: ignore[attr-defined]
                "status": st.status,
                "justification": st.justification,
                "source": st.source,
                "author": st.author,
                "timestamp": st.timestamp,
                "product": st.product,
            }
            applied += 1
        return applied


# -- reading ------------------------------------------------------------------------------------
def read_vex(doc: dict[str, Any], origin: str = "") -> list[Statement]:
    """Statements of an OpenVEX, CycloneDX (VEX) or CSAF VEX document; [] for anything else."""
    if "statements" in doc and ("@context" in doc or "@id" in doc):
        return list(_openvex(doc, origin))
    if doc.get("bomFormat") == "CycloneDX":
        return list(_cyclonedx(doc, origin))
    if csaf.is_document(doc):
        return list(_csaf(doc, origin))
    return []


def _openvex(doc: dict[str, Any], origin: str) -> Iterator[Statement]:
    author = doc.get("author")
    for st in doc.get("statements") or []:
        vuln = st.get("vulnerability")
        vid = vuln.get("name") or vuln.get("@id") if isinstance(vuln, dict) else vuln
        if not vid:
            continue
        status = str(st.get("status", ""))
        for product in st.get("products") or []:
            ref = product.get("@id") if isinstance(product, dict) else product
            subs = product.get("subcomponents") if isinstance(product, dict) else None
            refs = [s.get("@id") if isinstance(s, dict) else s for s in subs] if subs else [ref]
            for item in filter(None, refs):
                yield Statement(
                    vuln_id=str(vid),
                    product=str(item),
                    status=status,
                    justification=st.get("justification"),
                    impact=st.get("impact_statement") or st.get("status_notes"),
                    action=st.get("action_statement"),
                    source=origin or "openvex",
                    author=author,
                    timestamp=st.get("timestamp") or doc.get("timestamp"),
                )


def _cyclonedx(doc: dict[str, Any], origin: str) -> Iterator[Statement]:
    refs: dict[str, str] = {}

    def walk(components: list[dict[str, Any]]) -> None:
        for comp in components:
            ident = (
                comp.get("purl")
                or comp.get("cpe")
                or (
                    f"{comp.get('name')}@{comp.get('version')}"
                    if comp.get("version")
                    else comp.get("name")
                )
            )
            if comp.get("bom-ref") and ident:
                refs[str(comp["bom-ref"])] = str(ident)
            walk(comp.get("components") or [])

    walk(doc.get("components") or [])
    meta_component = (doc.get("metadata") or {}).get("component")
    if isinstance(meta_component, dict):
        walk([meta_component])
    for vuln in doc.get("vulnerabilities") or []:
        analysis = vuln.get("analysis") or {}
        state = analysis.get("state")
        if not vuln.get("id") or state not in CDX_STATE:
            continue
        for affect in vuln.get("affects") or []:
            ref = str(affect.get("ref") or "")
            product = refs.get(ref) or (ref if ref.startswith(("pkg:", "cpe:")) else None)
            if not product:
                continue
            responses = analysis.get("response") or []
            yield Statement(
                vuln_id=str(vuln["id"]),
                product=product,
                status=CDX_STATE[state],
                justification=CDX_JUSTIFICATION.get(str(analysis.get("justification"))),
                impact=analysis.get("detail"),
                action=", ".join(responses) if responses else None,
                source=origin or "cyclonedx-vex",
                timestamp=analysis.get("lastUpdated") or analysis.get("firstIssued"),
            )


def _csaf(doc: dict[str, Any], origin: str) -> Iterator[Statement]:
    products = csaf.products(doc)
    publisher = ((doc.get("document") or {}).get("publisher") or {}).get("name")
    stamp = ((doc.get("document") or {}).get("tracking") or {}).get("current_release_date")
    for vuln in doc.get("vulnerabilities") or []:
        vid = csaf.vuln_id(vuln)
        if not vid:
            continue
        for pid, status, flag, impact in csaf.statements(vuln):
            product = products.get(pid)
            if product is None:
                continue
            ref = (
                product.purl
                or product.cpe
                or (
                    f"{product.product}@{product.version}"
                    if product.product and product.version
                    else None
                )
            )
            if ref:
                yield Statement(
                    vuln_id=vid,
                    product=ref,
                    status=status,
                    justification=flag if flag in JUSTIFICATIONS else None,
                    impact=impact,
                    source=origin or "csaf-vex",
                    author=publisher,
                    timestamp=stamp,
                )


def import_files(paths: Iterable[Path], store: TriageStore) -> tuple[int, list[tuple[str, str]]]:
    """Load VEX files into the triage store; returns (statements stored, skipped files)."""
    stored = 0
    skipped: list[tuple[str, str]] = []
    for path in paths:
        try:
            doc = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            skipped.append((str(path), f"unreadable: {exc}"))
            continue
        statements = read_vex(doc, Path(path).name) if isinstance(doc, dict) else []
        if not statements:
            skipped.append(
                (str(path), "no VEX statements (not OpenVEX, CycloneDX VEX or CSAF VEX)")
            )
            continue
        stored += store.add(statements)
    return stored, skipped


# -- writing ------------------------------------------------------------------------------------
def _vex_status(vuln: Vulnerability) -> str:
    return vuln.status if vuln.status in STATUSES else "under_investigation"


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _purl_of(vuln: Vulnerability, components: dict[str, Component]) -> str:
    component = components.get(vuln.component)
    if component is not None and component.purl:
        return component.purl
    name, _, version = vuln.component.partition("@")
    return PackageURL(type="generic", name=name, version=version or None).to_string()


def _action(vuln: Vulnerability) -> str:
    if vuln.fixed_in:
        return f"Update to {' or '.join(vuln.fixed_in)} or later."
    return "No fixed version is known; apply vendor mitigations or remove the component."


def write_openvex(
    vulns: list[Vulnerability],
    components: list[Component],
    *,
    author: str = "iotvet",
    doc_id: str | None = None,
) -> dict[str, Any]:
    """An OpenVEX v0.2.0 document with one statement per (vulnerability, component)."""
    by_ref = {c.ref: c for c in components}
    stamp = _now()
    statements = []
    for vuln in vulns:
        status = _vex_status(vuln)
        st: dict[str, Any] = {
            "vulnerability": {
                "name": vuln.id,
                **({"aliases": vuln.aliases} if vuln.aliases else {}),
            },
            "products": [{"@id": _purl_of(vuln, by_ref)}],
            "status": status,
            "timestamp": stamp,
        }
        if status == "not_affected":
            if vuln.justification in JUSTIFICATIONS:
                st["justification"] = vuln.justification
            st["impact_statement"] = vuln.reason or "not affected"
        elif status == "affected":
            st["action_statement"] = _action(vuln)
        elif vuln.reason:
            st["status_notes"] = vuln.reason
        statements.append(st)
    return {
        "@context": OPENVEX_CONTEXT,
        "@id": doc_id or f"https://iotvet.invalid/vex/{stamp}",
        "author": author,
        "timestamp": stamp,
        "version": 1,
        "statements": statements,
    }


def write_cyclonedx_vex(vulns: list[Vulnerability], components: list[Component]) -> str:
    """A CycloneDX 1.6 VEX (JSON) built and validated with cyclonedx-python-lib."""
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component as CdxComponent
    from cyclonedx.model.impact_analysis import (
        ImpactAnalysisJustification,
        ImpactAnalysisState,
    )
    from cyclonedx.model.vulnerability import (
        BomTarget,
        VulnerabilityAnalysis,
        VulnerabilityRating,
        VulnerabilityScoreSource,
        VulnerabilitySeverity,
    )
    from cyclonedx.model.vulnerability import (
        Vulnerability as CdxVulnerability,
    )
    from cyclonedx.output.json import JsonV1Dot6

    bom = Bom()
    refs: dict[str, Any] = {}
    for component in components:
        if component.ref in refs:
            continue
        purl = None
        if component.purl:
            try:
                purl = PackageURL.from_string(component.purl)
            except ValueError:
                purl = None
        cdx = CdxComponent(
            name=component.name,
            version=component.version,
            purl=purl,
            bom_ref=component.purl or component.ref,
        )
        bom.components.add(cdx)
        refs[component.ref] = cdx.bom_ref
    state = {
        "affected": ImpactAnalysisState.EXPLOITABLE,
        "not_affected": ImpactAnalysisState.NOT_AFFECTED,
        "fixed": ImpactAnalysisState.RESOLVED,
        "under_investigation": ImpactAnalysisState.IN_TRIAGE,
    }
    for vuln in vulns:
        justification = OPENVEX_TO_CDX.get(vuln.justification or "")
        analysis = VulnerabilityAnalysis(
            state=state[_vex_status(vuln)],
            justification=ImpactAnalysisJustification(justification) if justification else None,
            detail=vuln.reason,
        )
        ratings = []
        if vuln.cvss is not None:
            method = {
                "4.0": VulnerabilityScoreSource.CVSS_V4,
                "3.1": VulnerabilityScoreSource.CVSS_V3_1,
                "3.0": VulnerabilityScoreSource.CVSS_V3,
                "2.0": VulnerabilityScoreSource.CVSS_V2,
            }.get(vuln.cvss.version, VulnerabilityScoreSource.OTHER)
            severity = (
                vuln.cvss.severity
                if vuln.cvss.severity in {s.value for s in VulnerabilitySeverity}
                else None
            )
            ratings.append(
                VulnerabilityRating(
                    score=Decimal(str(vuln.cvss.score)),
                    vector=vuln.cvss.vector,
                    method=method,
                    severity=VulnerabilitySeverity(severity) if severity else None,
                )
            )
        ref = refs.get(vuln.component)
        bom.vulnerabilities.add(
            CdxVulnerability(
                id=vuln.id,
                description=vuln.description,
                cwes=[int(c.split("-", 1)[1]) for c in vuln.cwes if c.split("-", 1)[-1].isdigit()],
                ratings=ratings,
                analysis=analysis,
                affects=[BomTarget(ref=ref)] if ref else [],
            )
        )
    return str(JsonV1Dot6(bom).output_as_string(indent=2))


def write_csaf_vex(
    vulns: list[Vulnerability],
    components: list[Component],
    *,
    publisher: str = "iotvet",
    namespace: str = "https://iotvet.invalid",
    doc_id: str | None = None,
) -> dict[str, Any]:
    """A CSAF 2.0 document of category ``csaf_vex``."""
    by_ref = {c.ref: c for c in components}
    stamp = _now()
    product_ids: dict[str, str] = {}
    full_names = []
    for vuln in vulns:
        purl = _purl_of(vuln, by_ref)
        if vuln.component not in product_ids:
            pid = f"CSAFPID-{len(product_ids) + 1:04d}"
            product_ids[vuln.component] = pid
            full_names.append(
                {
                    "name": vuln.component,
                    "product_id": pid,
                    "product_identification_helper": {"purl": purl},
                }
            )
    groups = {
        "affected": "known_affected",
        "not_affected": "known_not_affected",
        "fixed": "fixed",
        "under_investigation": "under_investigation",
    }
    out_vulns = []
    by_id: dict[str, list[Vulnerability]] = {}
    for vuln in vulns:
        by_id.setdefault(vuln.id, []).append(vuln)
    for vid, items in sorted(by_id.items()):
        status: dict[str, list[str]] = {}
        flags: list[dict[str, Any]] = []
        threats: list[dict[str, Any]] = []
        remediations: list[dict[str, Any]] = []
        for vuln in items:
            pid = product_ids[vuln.component]
            group = groups[_vex_status(vuln)]
            status.setdefault(group, []).append(pid)
            if group == "known_not_affected":
                if vuln.justification in JUSTIFICATIONS:
                    flags.append({"label": vuln.justification, "product_ids": [pid]})
                threats.append(
                    {
                        "category": "impact",
                        "details": vuln.reason or "not affected",
                        "product_ids": [pid],
                    }
                )
            elif group == "known_affected":
                remediations.append(
                    {
                        "category": "vendor_fix" if vuln.fixed_in else "none_available",
                        "details": _action(vuln),
                        "product_ids": [pid],
                    }
                )
        entry: dict[str, Any] = {"product_status": status}
        if vid.startswith("CVE-"):
            entry["cve"] = vid
        else:
            entry["ids"] = [{"system_name": "OSV", "text": vid}]
        notes = items[0].description
        if notes:
            entry["notes"] = [{"category": "description", "text": notes}]
        for key, value in (("flags", flags), ("threats", threats), ("remediations", remediations)):
            if value:
                entry[key] = value
        out_vulns.append(entry)
    return {
        "document": {
            "category": "csaf_vex",
            "csaf_version": "2.0",
            "publisher": {"category": "vendor", "name": publisher, "namespace": namespace},
            "title": "iotvet vulnerability exploitability exchange",
            "tracking": {
                "id": doc_id or f"iotvet-vex-{stamp}",
                "status": "final",
                "version": "1",
                "initial_release_date": stamp,
                "current_release_date": stamp,
                "revision_history": [{"date": stamp, "number": "1", "summary": "Initial version."}],
            },
        },
        "product_tree": {"full_product_names": full_names},
        "vulnerabilities": out_vulns,
    }
