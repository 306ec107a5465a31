"""Enrichment: CVSS (validated and scored with the ``cvss`` library), CWE, KEV, EPSS, references.

Every source's record of a vulnerability is merged into the report fields. CVSS vectors are
parsed and scored by the ``cvss`` library rather than trusted as published (a malformed vector is
dropped); the headline ``cvss`` prefers v3.1, then v3.0, then v4.0, then v2, and within one
version NVD's primary score, then the CNA's, then ADPs', then others. ``cvss_all`` keeps every
distinct vector with its scorer.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cvss import CVSS2, CVSS3, CVSS4
from cvss.exceptions import CVSSError

from ..model import Cvss

#: Which source's text and scores are preferred, first to last.
SOURCE_PREFERENCE = ("nvd", "nvd-override", "cve5-cna", "csaf", "cve5-adp", "osv")
_VERSION_PREFERENCE = ("3.1", "3.0", "4.0", "2.0")
_TEXT_SEVERITY = {
    "critical": "critical",
    "high": "high",
    "important": "high",
    "moderate": "medium",
    "medium": "medium",
    "low": "low",
    "none": "info",
}


def score_vector(version: str, vector: str, source: str | None = None) -> Cvss | None:
    """A validated :class:`Cvss` for a vector, or None when the vector does not parse."""
    scored = _score(version, vector)
    if scored is None:
        return None
    # "source" (who scored it) is an extra field of the report model
    return Cvss.model_validate(
        {
            "version": scored[0],
            "score": scored[1],
            "vector": scored[2],
            "severity": scored[3],
            "source": source,
        }
    )


@lru_cache(maxsize=16384)
def _score(version: str, vector: str) -> tuple[str, float, str, str] | None:
    try:
        if version.startswith("4"):
            v4 = CVSS4(vector)
            return "4.0", float(v4.base_score), v4.clean_vector(), str(v4.severity).lower()
        if version.startswith("3"):
            v3 = CVSS3(vector)
            label = vector.split("/", 1)[0].split(":", 1)[1]
            return label, float(v3.scores()[0]), v3.clean_vector(), str(v3.severities()[0]).lower()
        v2 = CVSS2(vector.removeprefix("(").removesuffix(")"))
        score = float(v2.scores()[0])
        return "2.0", score, v2.clean_vector(), _v2_severity(score)
    except (CVSSError, ValueError, KeyError, IndexError, TypeError):
        return None


def _v2_severity(score: float) -> str:
    """NVD's CVSS v2 rating bands (v2 itself defines none)."""
    return "high" if score >= 7.0 else "medium" if score >= 4.0 else "low"


def _rank(source: str) -> int:
    return (
        SOURCE_PREFERENCE.index(source) if source in SOURCE_PREFERENCE else len(SOURCE_PREFERENCE)
    )


def merge(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Merged report fields of one vulnerability from all its source records."""
    ordered = sorted(records, key=lambda r: _rank(r["source"]))
    scored: list[tuple[int, int, int, Cvss]] = []
    seen_vectors: set[str] = set()
    for rank, record in enumerate(ordered):
        for entry in record.get("cvss") or []:
            cvss = score_vector(
                str(entry.get("version", "")),
                str(entry.get("vector", "")),
                entry.get("source") or record["source"],
            )
            if cvss is None or cvss.vector in seen_vectors:
                continue
            seen_vectors.add(cvss.vector)
            version_rank = (
                _VERSION_PREFERENCE.index(cvss.version)
                if cvss.version in _VERSION_PREFERENCE
                else len(_VERSION_PREFERENCE)
            )
            primary = 0 if entry.get("primary", True) else 1
            scored.append((version_rank, rank, primary, cvss))
    scored.sort(key=lambda item: item[:3])
    cvss_all = [item[3] for item in scored]
    headline = cvss_all[0] if cvss_all else None
    severity = headline.severity if headline else None
    if severity is None:
        for record in ordered:
            text = str(record.get("severity_text") or "").strip().lower()
            if text in _TEXT_SEVERITY:
                severity = _TEXT_SEVERITY[text]
                break
    if severity == "none":
        severity = "info"
    cwes: list[str] = []
    references: list[str] = []
    aliases: list[str] = []
    for record in ordered:
        cwes += [c for c in record.get("cwes") or [] if c not in cwes]
        references += [r for r in record.get("references") or [] if r not in references]
        aliases += [a for a in record.get("aliases") or [] if a not in aliases]
    published = min((r["published"] for r in ordered if r.get("published")), default=None)
    description = next((r["description"] for r in ordered if r.get("description")), None)
    return {
        "cvss": headline,
        "cvss_all": cvss_all,
        "severity": severity,
        "cwes": cwes,
        "references": references,
        "aliases": aliases,
        "published": published,
        "description": description,
        "sources": [r["source"] for r in ordered],
    }


def kev_fields(row: Any) -> dict[str, Any]:
    if row is None:
        return {"kev": False}
    return {
        "kev": True,
        "kev_date_added": row["date_added"] or None,
        "kev_due_date": row["due_date"] or None,
        "kev_ransomware": row["ransomware"] or None,
    }


def epss_fields(row: Any) -> dict[str, Any]:
    if row is None:
        return {}
    return {"epss": float(row["score"]), "epss_percentile": float(row["percentile"])}
