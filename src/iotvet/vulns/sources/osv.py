"""OSV JSON records (osv.dev: ecosystem ``all.zip`` archives, OSS-Fuzz, Debian, Alpine, GHSA …).

Each ``affected`` entry names a package in an ecosystem and gives ``ranges`` (ECOSYSTEM / SEMVER
events, or GIT commit events) and/or an explicit ``versions`` list. ECOSYSTEM and SEMVER events
become ordered CVE 5-style ranges. GIT ranges cannot be compared with a release version; for them
only the ``versions`` list can be used (OSS-Fuzz lists the release tags a bug reached, e.g.
``curl-7_88_1``), and records with GIT ranges but no ``versions`` cannot be matched by version at
all — the importer counts them so ``vulndb stats`` can say so.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..records import Advisory, Affected, CvssEntry, Range
from .common import cwe_ids, nvd_time

SOURCE = "osv"


def is_record(doc: dict[str, Any]) -> bool:
    return isinstance(doc.get("id"), str) and (
        "affected" in doc or "schema_version" in doc or ("modified" in doc and "aliases" in doc)
    )


def read_document(doc: dict[str, Any]) -> Iterator[Advisory]:
    osv_id = doc.get("id")
    if not osv_id:
        return
    aliases = [str(a) for a in doc.get("aliases") or []]
    aliases += [str(a) for a in doc.get("upstream") or [] if str(a) not in aliases]
    description = doc.get("summary") or doc.get("details")
    if doc.get("summary") and doc.get("details"):
        description = f"{doc['summary']}\n\n{doc['details']}"
    severity_text = None
    affected = []
    for entry in doc.get("affected") or []:
        if not isinstance(entry, dict):
            continue
        affected.append(_affected(entry))
        specific = entry.get("ecosystem_specific") or {}
        if isinstance(specific, dict) and isinstance(specific.get("severity"), str):
            severity_text = severity_text or specific["severity"]
    database_specific = doc.get("database_specific") or {}
    if isinstance(database_specific, dict):
        if isinstance(database_specific.get("severity"), str):
            severity_text = severity_text or database_specific["severity"]
        cwes = cwe_ids(str(c) for c in database_specific.get("cwe_ids") or [])
    else:
        cwes = []
    yield Advisory(
        vuln_id=osv_id,
        source=SOURCE,
        published=nvd_time(doc.get("published")),
        modified=nvd_time(doc.get("modified")),
        description=description,
        aliases=aliases,
        cvss=list(_severity(doc.get("severity") or [])),
        severity_text=severity_text,
        cwes=cwes,
        references=[r["url"] for r in doc.get("references") or [] if r.get("url")],
        affected=affected,
        rejected=bool(doc.get("withdrawn")),
    )


def _affected(entry: dict[str, Any]) -> Affected:
    package = entry.get("package") or {}
    ranges: list[Range] = []
    fixed: list[str] = []
    git_ranges = 0
    for rng in entry.get("ranges") or []:
        kind = str(rng.get("type", "")).upper()
        if kind == "GIT":
            git_ranges += 1
            continue
        opened: str | None = None
        for event in rng.get("events") or []:
            if "introduced" in event:
                opened = str(event["introduced"])
            elif "fixed" in event and opened is not None:
                ranges.append(Range("affected", opened, less_than=str(event["fixed"])))
                fixed.append(str(event["fixed"]))
                opened = None
            elif "last_affected" in event and opened is not None:
                ranges.append(
                    Range("affected", opened, less_than_or_equal=str(event["last_affected"]))
                )
                opened = None
        if opened is not None:
            ranges.append(Range("affected", opened, less_than="*"))
    versions = [str(v) for v in entry.get("versions") or []]
    return Affected(
        ecosystem=package.get("ecosystem"),
        package=package.get("name"),
        cpes=[],
        default_status="unaffected",
        ranges=ranges,
        versions=versions,
        version_tags=git_ranges > 0 and not ranges,
        git_only=git_ranges > 0 and not ranges and not versions,
        fixed=fixed,
    )


def _severity(items: list[dict[str, Any]]) -> Iterator[CvssEntry]:
    for item in items:
        kind = str(item.get("type", ""))
        vector = str(item.get("score", ""))
        if kind.startswith("CVSS_V") and vector.startswith("CVSS:"):
            version = vector.split("/", 1)[0].split(":", 1)[1]
            yield CvssEntry(version=version, vector=vector, source="osv")
