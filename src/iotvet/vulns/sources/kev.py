"""CISA Known Exploited Vulnerabilities catalog (``known_exploited_vulnerabilities.json``)."""

from __future__ import annotations

from typing import Any

SOURCE = "kev"
KevRow = tuple[str, str, str, str, str, str]


def is_catalog(doc: dict[str, Any]) -> bool:
    return "catalogVersion" in doc and isinstance(doc.get("vulnerabilities"), list)


def rows(doc: dict[str, Any]) -> list[KevRow]:
    """(cve, date added, due date, known ransomware use, name, required action) per entry."""
    out = []
    for item in doc.get("vulnerabilities") or []:
        cve = item.get("cveID")
        if not cve:
            continue
        out.append(
            (
                str(cve),
                str(item.get("dateAdded") or ""),
                str(item.get("dueDate") or ""),
                str(item.get("knownRansomwareCampaignUse") or ""),
                str(item.get("vulnerabilityName") or ""),
                str(item.get("requiredAction") or ""),
            )
        )
    return out


def data_date(doc: dict[str, Any]) -> str | None:
    released = doc.get("dateReleased") or doc.get("catalogVersion")
    return str(released)[:19] if released else None
