"""CSAF 2.0 documents (OASIS): vendor security advisories and VEX.

The ``product_tree`` names products (branches vendor → product_name → product_version or
product_version_range, ``full_product_names``, ``relationships``) and identifies them by purl or
CPE where the publisher gives a ``product_identification_helper``. Each vulnerability lists
product ids per status (``known_affected``, ``fixed``, ``known_not_affected``,
``under_investigation`` …). The importer turns every (vulnerability, product) pair into an
:class:`Affected` entry with one exact version (or the ranges of a ``vers:`` expression); the
VEX reader (:mod:`iotvet.vulns.vex`) uses :func:`products` and :func:`statements` as well.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from packageurl import PackageURL

from ..records import Advisory, Affected, CvssEntry, Range, Status
from .common import cwe_ids, nvd_time

SOURCE = "csaf"

#: CSAF product_status groups → the status they give a product.
STATUS_GROUPS: dict[str, str] = {
    "known_affected": "affected",
    "first_affected": "affected",
    "last_affected": "affected",
    "fixed": "fixed",
    "first_fixed": "fixed",
    "known_not_affected": "not_affected",
    "under_investigation": "under_investigation",
    "recommended": "fixed",
}
_RANGE_STATUS: dict[str, Status] = {
    "affected": "affected",
    "fixed": "unaffected",
    "not_affected": "unaffected",
    "under_investigation": "unknown",
}


@dataclass
class Product:
    product_id: str
    name: str = ""
    vendor: str | None = None
    product: str | None = None
    version: str | None = None
    version_range: str | None = None
    purl: str | None = None
    cpe: str | None = None
    components: list[str] = field(default_factory=list)  # relationship: product ids it contains


def is_document(doc: dict[str, Any]) -> bool:
    document = doc.get("document")
    return isinstance(document, dict) and "csaf_version" in document


def products(doc: dict[str, Any]) -> dict[str, Product]:
    """Every product id of the product tree with what identifies it."""
    tree = doc.get("product_tree") or {}
    found: dict[str, Product] = {}

    def add(full: dict[str, Any], path: dict[str, str]) -> None:
        pid = full.get("product_id")
        if not pid:
            return
        helper = full.get("product_identification_helper") or {}
        cpe = helper.get("cpe")
        purl = helper.get("purl")
        if not purl and isinstance(helper.get("purls"), list) and helper["purls"]:
            purl = helper["purls"][0]
        found[pid] = Product(
            product_id=pid,
            name=str(full.get("name") or ""),
            vendor=path.get("vendor"),
            product=path.get("product_name") or path.get("product_family"),
            version=path.get("product_version"),
            version_range=path.get("product_version_range"),
            purl=purl,
            cpe=cpe,
        )

    def walk(branches: list[dict[str, Any]], path: dict[str, str]) -> None:
        for branch in branches:
            here = dict(path)
            if branch.get("category") and branch.get("name") is not None:
                here[str(branch["category"])] = str(branch["name"])
            if isinstance(branch.get("product"), dict):
                add(branch["product"], here)
            walk(branch.get("branches") or [], here)

    walk(tree.get("branches") or [], {})
    for full in tree.get("full_product_names") or []:
        add(full, {})
    for rel in tree.get("relationships") or []:
        full = rel.get("full_product_name") or {}
        component = found.get(str(rel.get("product_reference")))
        add(full, {})
        pid = full.get("product_id")
        if pid and component is not None:
            combined = found[pid]
            combined.components.append(component.product_id)
            # the combination is identified by the component it contains (e.g. openssl in X)
            for attr in ("vendor", "product", "version", "version_range", "purl", "cpe"):
                if getattr(combined, attr) is None:
                    setattr(combined, attr, getattr(component, attr))
    return found


def statements(vuln: dict[str, Any]) -> Iterator[tuple[str, str, str | None, str | None]]:
    """(product id, status, justification label, impact/action text) of one vulnerability."""
    flags: dict[str, str] = {}
    for flag in vuln.get("flags") or []:
        for pid in flag.get("product_ids") or []:
            flags[pid] = str(flag.get("label") or "")
    impacts: dict[str, str] = {}
    for threat in vuln.get("threats") or []:
        if threat.get("category") == "impact":
            for pid in threat.get("product_ids") or []:
                impacts[pid] = str(threat.get("details") or "")
    for remediation in vuln.get("remediations") or []:
        for pid in remediation.get("product_ids") or []:
            impacts.setdefault(pid, str(remediation.get("details") or ""))
    for group, status in STATUS_GROUPS.items():
        for pid in (vuln.get("product_status") or {}).get(group) or []:
            yield str(pid), status, flags.get(pid), impacts.get(pid)


def vuln_id(vuln: dict[str, Any]) -> str | None:
    if vuln.get("cve"):
        return str(vuln["cve"])
    for ident in vuln.get("ids") or []:
        if ident.get("text"):
            return str(ident["text"])
    return None


def read_document(doc: dict[str, Any]) -> Iterator[Advisory]:
    tracking = (doc.get("document") or {}).get("tracking") or {}
    published = nvd_time(tracking.get("initial_release_date"))
    modified = nvd_time(tracking.get("current_release_date"))
    catalog = products(doc)
    for vuln in doc.get("vulnerabilities") or []:
        ident = vuln_id(vuln)
        if not ident:
            continue
        notes = [
            n for n in vuln.get("notes") or [] if n.get("category") in ("description", "summary")
        ]
        description = notes[0].get("text") if notes else vuln.get("title")
        affected = []
        for pid, status, _flag, _impact in statements(vuln):
            product = catalog.get(pid)
            if product is not None:
                entry = _affected(product, _RANGE_STATUS.get(status, "unknown"))
                if entry is not None:
                    affected.append(entry)
        cwe = (vuln.get("cwe") or {}).get("id")
        yield Advisory(
            vuln_id=ident,
            source=SOURCE,
            published=nvd_time(vuln.get("release_date")) or published,
            modified=modified,
            description=description,
            cvss=list(_scores(vuln)),
            cwes=cwe_ids([str(cwe or "")]),
            references=[r["url"] for r in vuln.get("references") or [] if r.get("url")],
            affected=affected,
        )


def _affected(product: Product, status: Status) -> Affected | None:
    ranges: list[Range] = []
    entry = Affected(vendor=product.vendor, product=product.product, default_status="unknown")
    version = product.version
    if product.purl:
        try:
            purl = PackageURL.from_string(product.purl)
        except ValueError:
            purl = None
        if purl is not None:
            entry.ecosystem = purl.type
            entry.package = purl.name
            version = version or purl.version
    if product.cpe:
        entry.cpes = [product.cpe]
        parts = re.split(r"(?<!\\):", product.cpe)
        if version is None and len(parts) > 5 and parts[5] not in ("*", "-"):
            version = parts[5].replace("\\", "")
    if product.version_range:
        ranges = vers_ranges(product.version_range, status)
    elif version:
        ranges = [Range(status, version)]
    if not ranges:
        return None
    entry.ranges = ranges
    return entry


def vers_ranges(expression: str, status: Status) -> list[Range]:
    """Ranges of a ``vers:`` expression (``vers:generic/>=1.0|<1.4.2``) with one status."""
    text = expression.strip()
    if text.startswith("vers:"):
        text = text.split("/", 1)[1] if "/" in text else ""
    ranges: list[Range] = []
    lower: str | None = None
    exclusive = False

    def opened() -> str:
        # an exclusive lower bound: the boundary version itself falls outside (status unknown)
        if lower is not None and exclusive:
            ranges.append(Range("unknown", lower))
        return lower or "0"

    for constraint in filter(None, (c.strip() for c in text.split("|"))):
        match = re.match(r"^(>=|<=|!=|<|>|=)?\s*(.+)$", constraint)
        if not match:
            continue
        op, version = match.group(1) or "=", match.group(2)
        if version == "*":
            ranges.append(Range(status, "0", less_than="*"))
        elif op in (">=", ">"):
            lower, exclusive = version, op == ">"
        elif op == "<":
            ranges.append(Range(status, opened(), less_than=version))
            lower = None
        elif op == "<=":
            ranges.append(Range(status, opened(), less_than_or_equal=version))
            lower = None
        elif op == "=":
            ranges.append(Range(status, version))
    if lower is not None:
        ranges.append(Range(status, opened(), less_than="*"))
    return ranges


def _scores(vuln: dict[str, Any]) -> Iterator[CvssEntry]:
    for score in vuln.get("scores") or []:
        for key in ("cvss_v4", "cvss_v3", "cvss_v2"):
            data = score.get(key)
            if isinstance(data, dict) and data.get("vectorString"):
                yield CvssEntry(
                    version=str(data.get("version") or key[-1] + ".0"),
                    vector=data["vectorString"],
                    score=data.get("baseScore"),
                    severity=data.get("baseSeverity"),
                    source="csaf",
                )
