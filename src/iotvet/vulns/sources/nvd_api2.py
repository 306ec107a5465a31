"""NVD CVE API 2.0 responses, JSON 2.0 feed files and per-CVE 2.0-shaped records.

Three shapes carry the same ``cve`` object (``id``, ``descriptions``, ``metrics``,
``weaknesses``, ``configurations[].nodes[].cpeMatch[]`` with ``criteria`` and
``versionStart/End…``):

* API responses and ``nvdcve-2.0-*.json(.gz)`` feeds: ``{"vulnerabilities": [{"cve": …}]}``,
  parsed as a stream;
* a single ``{"cve": …}`` object;
* override records such as Anchore's ``cve-data-enrichment`` (``_annotation`` + ``cve`` with
  only ``configurations``): CPE configurations for CVEs NVD has not analysed or analysed wrongly.
  They are stored as source ``nvd-override`` and take precedence over ``nvd`` in matching.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import ijson

from ..records import Advisory, CvssEntry, Node
from .common import cwe_ids, english, nvd_node, nvd_time

SOURCE = "nvd"
OVERRIDE_SOURCE = "nvd-override"
_METRIC_VERSIONS = {
    "cvssMetricV40": "4.0",
    "cvssMetricV31": "3.1",
    "cvssMetricV30": "3.0",
    "cvssMetricV2": "2.0",
}


def read_stream(stream: IO[bytes]) -> Iterator[Advisory]:
    """Advisories of an API response / 2.0 feed (``vulnerabilities`` array), streamed."""
    for item in ijson.items(stream, "vulnerabilities.item", use_float=True):
        advisory = parse_cve(item.get("cve") or {})
        if advisory is not None:
            yield advisory


def read_document(doc: dict[str, Any]) -> Iterator[Advisory]:
    """Advisories of an already-loaded document of any of the three shapes."""
    if isinstance(doc.get("vulnerabilities"), list):
        for item in doc["vulnerabilities"]:
            advisory = parse_cve((item or {}).get("cve") or {})
            if advisory is not None:
                yield advisory
        return
    cve = doc.get("cve")
    if not isinstance(cve, dict):
        return
    annotation = doc.get("_annotation")
    if isinstance(annotation, dict):
        advisory = parse_cve(cve, override=annotation)
    else:
        advisory = parse_cve(cve)
    if advisory is not None:
        yield advisory


def parse_cve(cve: dict[str, Any], override: dict[str, Any] | None = None) -> Advisory | None:
    vuln_id = cve.get("id") or (override or {}).get("cve_id")
    if not vuln_id:
        return None
    description = english(cve.get("descriptions") or [])
    weaknesses = cve.get("weaknesses") or []
    cwes = cwe_ids(d.get("value", "") for w in weaknesses for d in w.get("description") or [])
    refs = [r["url"] for r in cve.get("references") or [] if r.get("url")]
    published = cve.get("published")
    modified = cve.get("lastModified")
    if override is not None:
        description = description or override.get("description")
        refs = refs or [r for r in override.get("references") or [] if isinstance(r, str)]
        published = published or override.get("published")
        modified = modified or override.get("modified")
    return Advisory(
        vuln_id=vuln_id,
        source=OVERRIDE_SOURCE if override is not None else SOURCE,
        published=nvd_time(published),
        modified=nvd_time(modified),
        description=description,
        cvss=list(_metrics(cve.get("metrics") or {})),
        cwes=cwes,
        references=refs,
        configurations=[_configuration(c) for c in cve.get("configurations") or []],
        rejected=str(cve.get("vulnStatus", "")).lower() == "rejected",
    )


def _configuration(data: dict[str, Any]) -> Node:
    """A 2.0 configuration is a list of nodes joined by the configuration's operator."""
    nodes = [nvd_node(n, "cpeMatch", "criteria") for n in data.get("nodes") or []]
    operator = str(data.get("operator") or "OR").upper()
    negate = bool(data.get("negate", False))
    if len(nodes) == 1 and not negate:
        return nodes[0]
    return Node(operator=operator, negate=negate, children=nodes)


def _metrics(metrics: dict[str, Any]) -> Iterator[CvssEntry]:
    for key, version in _METRIC_VERSIONS.items():
        for metric in metrics.get(key) or []:
            data = metric.get("cvssData") or {}
            if not data.get("vectorString"):
                continue
            yield CvssEntry(
                version=str(data.get("version") or version),
                vector=data["vectorString"],
                score=data.get("baseScore"),
                severity=data.get("baseSeverity") or metric.get("baseSeverity"),
                source=metric.get("source"),
                primary=str(metric.get("type", "Primary")) == "Primary",
            )
