"""CVE JSON 5 records (cve.org / CVEProject cvelistV5, CISA vulnrichment, CNA feeds).

A record has a CNA container (the assigning authority: description, ``affected`` products with
ordered version ranges, metrics, problem types) and optional ADP containers (e.g. CISA's
vulnrichment: CVSS, CWE, SSVC and ``affected`` entries with CPEs). The CNA view is stored as
source ``cve5-cna``, the ADP views together as ``cve5-adp``; matching uses them for CVEs that
NVD has no CPE configuration for.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

from ..records import Advisory, Affected, Range, Status
from ..versions import is_git_hash
from .common import cve5_metrics, cwe_ids, nvd_time, qualitative_severity

CNA_SOURCE = "cve5-cna"
ADP_SOURCE = "cve5-adp"
_STATUSES = ("affected", "unaffected", "unknown")


def is_record(doc: dict[str, Any]) -> bool:
    return doc.get("dataType") == "CVE_RECORD" or (
        isinstance(doc.get("cveMetadata"), dict) and isinstance(doc.get("containers"), dict)
    )


def read_document(doc: dict[str, Any]) -> Iterator[Advisory]:
    """The CNA advisory and, when ADP containers carry data, the ADP advisory of one record."""
    meta = doc.get("cveMetadata") or {}
    vuln_id = meta.get("cveId")
    containers = doc.get("containers") or {}
    if not vuln_id or not isinstance(containers, dict):
        return
    rejected = str(meta.get("state", "")).upper() == "REJECTED"
    cna = containers.get("cna") or {}
    modified = nvd_time(
        meta.get("dateUpdated") or (cna.get("providerMetadata") or {}).get("dateUpdated")
    )
    published = nvd_time(meta.get("datePublished") or cna.get("datePublic"))
    description = _description(cna)
    shortname = (cna.get("providerMetadata") or {}).get("shortName") or "cna"
    yield Advisory(
        vuln_id=vuln_id,
        source=CNA_SOURCE,
        published=published,
        modified=modified,
        description=description,
        cvss=cve5_metrics(cna.get("metrics") or [], shortname),
        severity_text=qualitative_severity(cna.get("metrics") or []),
        cwes=_cwes(cna),
        references=_refs(cna),
        affected=[_affected(a) for a in cna.get("affected") or [] if isinstance(a, dict)],
        rejected=rejected,
    )
    adps = [a for a in containers.get("adp") or [] if isinstance(a, dict)]
    cvss = []
    cwes: list[str] = []
    affected: list[Affected] = []
    refs: list[str] = []
    for adp in adps:
        name = (adp.get("providerMetadata") or {}).get("shortName") or "adp"
        cvss.extend(cve5_metrics(adp.get("metrics") or [], name))
        cwes.extend(c for c in _cwes(adp) if c not in cwes)
        affected.extend(_affected(a) for a in adp.get("affected") or [] if isinstance(a, dict))
        refs.extend(r for r in _refs(adp) if r not in refs)
    if cvss or cwes or affected:
        yield Advisory(
            vuln_id=vuln_id,
            source=ADP_SOURCE,
            published=published,
            modified=modified,
            description=description,
            cvss=cvss,
            cwes=cwes,
            references=refs,
            affected=affected,
            rejected=rejected,
        )


def _description(container: dict[str, Any]) -> str | None:
    for item in container.get("descriptions") or []:
        if str(item.get("lang", "")).lower().startswith("en"):
            return cast(str | None, item.get("value"))
    return None


def _cwes(container: dict[str, Any]) -> list[str]:
    values = []
    for problem in container.get("problemTypes") or []:
        for desc in problem.get("descriptions") or []:
            values.append(str(desc.get("cweId") or ""))
            values.append(str(desc.get("description") or ""))
    return cwe_ids(values)


def _refs(container: dict[str, Any]) -> list[str]:
    return [r["url"] for r in container.get("references") or [] if r.get("url")]


def _status(value: Any) -> Status:
    text = str(value or "unknown").lower()
    return cast(Status, text if text in _STATUSES else "unknown")


def _affected(entry: dict[str, Any]) -> Affected:
    ranges = []
    for item in entry.get("versions") or []:
        if not isinstance(item, dict) or item.get("version") is None:
            continue
        version_type = item.get("versionType")
        version = str(item["version"])
        less_than = item.get("lessThan")
        less_equal = item.get("lessThanOrEqual")
        # CISA's ADP copies git commit ranges with versionType "custom": recognise them by shape
        bounds = [b for b in (version, less_than, less_equal) if b not in (None, "*", "0")]
        if version_type != "git" and bounds and all(is_git_hash(str(b)) for b in bounds):
            version_type = "git"
        ranges.append(
            Range(
                status=_status(item.get("status")),
                version=version,
                less_than=str(less_than) if less_than is not None else None,
                less_than_or_equal=str(less_equal) if less_equal is not None else None,
                version_type=version_type,
                changes=[
                    (str(c.get("at")), _status(c.get("status")))
                    for c in item.get("changes") or []
                    if isinstance(c, dict) and c.get("at")
                ],
            )
        )
    product = entry.get("product") or entry.get("packageName")
    modules = [str(m) for m in (entry.get("modules") or []) + (entry.get("programFiles") or [])]
    return Affected(
        vendor=entry.get("vendor"),
        product=product,
        cpes=[str(c) for c in entry.get("cpes") or []],
        default_status=_status(entry.get("defaultStatus")),
        ranges=ranges,
        git_only=bool(ranges) and all(r.version_type == "git" for r in ranges),
        modules=modules,
        platforms=[str(p) for p in entry.get("platforms") or []],
    )
