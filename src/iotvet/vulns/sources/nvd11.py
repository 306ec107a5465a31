"""NVD JSON 1.1 feed files (``nvdcve-1.1-YYYY.json(.gz)``, ``-modified``, ``-recent``).

The format of the retired NVD data feeds and of many mirrors: a ``CVE_Items`` array whose items
carry ``cve`` (MITRE 4.0 record), ``configurations.nodes`` (CPE trees with ``cpe_match`` and
``versionStart/End…``), ``impact`` (CVSS v2/v3) and publication dates. The array is parsed as a
stream (ijson), so a yearly file never sits in memory whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import ijson

from ..records import Advisory, CvssEntry
from .common import cwe_ids, english, nvd_node, nvd_time

SOURCE = "nvd"


def read(stream: IO[bytes]) -> Iterator[Advisory]:
    """Yield one :class:`Advisory` per CVE item of a 1.1 feed."""
    for item in ijson.items(stream, "CVE_Items.item", use_float=True):
        advisory = parse_item(item)
        if advisory is not None:
            yield advisory


def parse_item(item: dict[str, Any]) -> Advisory | None:
    cve = item.get("cve") or {}
    vuln_id = (cve.get("CVE_data_meta") or {}).get("ID")
    if not vuln_id:
        return None
    description = english((cve.get("description") or {}).get("description_data") or [])
    cwes: list[str] = []
    for problem in (cve.get("problemtype") or {}).get("problemtype_data") or []:
        cwes.extend(cwe_ids(d.get("value", "") for d in problem.get("description") or []))
    refs = [
        r["url"] for r in (cve.get("references") or {}).get("reference_data") or [] if r.get("url")
    ]
    nodes = (item.get("configurations") or {}).get("nodes") or []
    return Advisory(
        vuln_id=vuln_id,
        source=SOURCE,
        published=nvd_time(item.get("publishedDate")),
        modified=nvd_time(item.get("lastModifiedDate")),
        description=description,
        cvss=list(_cvss(item.get("impact") or {})),
        cwes=cwes,
        references=refs,
        configurations=[nvd_node(n, "cpe_match", "cpe23Uri") for n in nodes],
        rejected=bool(description and description.startswith("** REJECT **")),
    )


def _cvss(impact: dict[str, Any]) -> Iterator[CvssEntry]:
    v3 = (impact.get("baseMetricV3") or {}).get("cvssV3") or {}
    if v3.get("vectorString"):
        yield CvssEntry(
            version=str(v3.get("version") or "3.1"),
            vector=v3["vectorString"],
            score=v3.get("baseScore"),
            severity=v3.get("baseSeverity"),
            source="nvd@nist.gov",
        )
    v2 = (impact.get("baseMetricV2") or {}).get("cvssV2") or {}
    if v2.get("vectorString"):
        yield CvssEntry(
            version="2.0",
            vector=v2["vectorString"],
            score=v2.get("baseScore"),
            severity=(impact.get("baseMetricV2") or {}).get("severity"),
            source="nvd@nist.gov",
        )
