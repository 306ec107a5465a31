"""Small helpers shared by the feed importers (dates, CWE ids, CVSS entries, NVD nodes)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ..records import CpeMatch, CvssEntry, Node

_CWE = re.compile(r"\bCWE-\d+\b")
_CVSS_KEYS = {
    "cvssV4_0": "4.0",
    "cvssV3_1": "3.1",
    "cvssV3_0": "3.0",
    "cvssV2_0": "2.0",
}


def nvd_time(value: Any) -> str | None:
    """Normalise feed timestamps to ``YYYY-MM-DDTHH:MM:SS`` (UTC) so they compare as strings.

    Accepts ``2023-12-26T18:15Z`` (NVD 1.1), ``2023-12-26T18:15:10.123`` (API 2.0),
    ``2024-06-26T20:18:14.332Z`` and ``…+00:00`` (CVE 5 / OSV) and plain dates.
    """
    if not value:
        return None
    text = str(value).strip().replace(" ", "T")
    text = re.sub(r"(Z|[+-]00:?00)$", "", text)
    match = re.match(r"^(\d{4}-\d{2}-\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?", text)
    if not match:
        return text
    date, hour, minute, second = match.groups()
    return f"{date}T{hour or '00'}:{minute or '00'}:{second or '00'}"


def cwe_ids(values: Iterable[str]) -> list[str]:
    """``CWE-nnn`` ids found in the given strings, in order, without duplicates."""
    out: list[str] = []
    for value in values:
        for cwe in _CWE.findall(value or ""):
            if cwe not in out:
                out.append(cwe)
    return out


def english(descriptions: Iterable[dict[str, Any]]) -> str | None:
    """The English text of an NVD ``descriptions`` list (``lang`` exactly "en")."""
    return next((d.get("value") for d in descriptions if d.get("lang") == "en"), None)


def nvd_node(data: dict[str, Any], matches_key: str, criteria_key: str) -> Node:
    """One CPE configuration node of an NVD record, with its children.

    The 1.1 feeds and the 2.0 API build the tree and the version bounds alike but name the
    match list and its CPE differently (``cpe_match``/``cpe23Uri`` against ``cpeMatch``/
    ``criteria``); matches without a CPE are dropped.
    """
    return Node(
        operator=str(data.get("operator") or "OR").upper(),
        negate=bool(data.get("negate", False)),
        matches=[
            CpeMatch(
                criteria=m.get(criteria_key, ""),
                vulnerable=bool(m.get("vulnerable", True)),
                start_including=m.get("versionStartIncluding"),
                start_excluding=m.get("versionStartExcluding"),
                end_including=m.get("versionEndIncluding"),
                end_excluding=m.get("versionEndExcluding"),
            )
            for m in data.get(matches_key) or []
            if m.get(criteria_key)
        ],
        children=[nvd_node(c, matches_key, criteria_key) for c in data.get("children") or []],
    )


def cve5_metrics(metrics: Iterable[dict[str, Any]], source: str) -> list[CvssEntry]:
    """CVSS entries from a CVE 5 ``metrics`` list (``cvssV4_0``, ``cvssV3_1`` …)."""
    out = []
    for metric in metrics:
        for key, version in _CVSS_KEYS.items():
            data = metric.get(key)
            if isinstance(data, dict) and data.get("vectorString"):
                out.append(
                    CvssEntry(
                        version=str(data.get("version") or version),
                        vector=data["vectorString"],
                        score=_float(data.get("baseScore")),
                        severity=data.get("baseSeverity"),
                        source=source,
                    )
                )
    return out


def qualitative_severity(metrics: Iterable[dict[str, Any]]) -> str | None:
    """A vendor's text rating (``other`` metric such as OpenSSL's "High"/"Moderate")."""
    for metric in metrics:
        other = metric.get("other")
        if not isinstance(other, dict) or other.get("type") == "ssvc":
            continue
        content = other.get("content")
        if isinstance(content, dict):
            text = content.get("text") or content.get("value")
            if isinstance(text, str) and text.strip():
                return text.strip()
    return None


def _float(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
