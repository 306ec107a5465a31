"""What every feed importer produces: one source's view of one vulnerability.

Importers turn their native format into :class:`Advisory` objects; :mod:`iotvet.vulns.db` stores
them and :mod:`iotvet.vulns.match` evaluates them. Two ways of describing what is affected exist
side by side, because the feeds use both:

* NVD-style *configurations*: trees of CPE match criteria with AND/OR/negate
  (:class:`Node`, :class:`CpeMatch`);
* product/package *affected* entries with ordered version ranges (CVE 5, OSV, CSAF):
  :class:`Affected` with :class:`Range` items, evaluated with the CVE 5 algorithm (the first
  range that contains the version decides, else ``default_status``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["affected", "unaffected", "unknown"]


@dataclass(slots=True)
class CvssEntry:
    version: str  # "2.0", "3.0", "3.1", "4.0"
    vector: str
    score: float | None = None
    severity: str | None = None
    source: str | None = None  # who scored it (nvd@nist.gov, CNA short name, CISA-ADP …)
    primary: bool = True


@dataclass(slots=True)
class CpeMatch:
    criteria: str
    vulnerable: bool = True
    start_including: str | None = None
    start_excluding: str | None = None
    end_including: str | None = None
    end_excluding: str | None = None


@dataclass(slots=True)
class Node:
    operator: str = "OR"  # "AND" | "OR"
    negate: bool = False
    matches: list[CpeMatch] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)

    def is_simple(self) -> bool:
        """An OR of vulnerable matches only: the configuration holds iff one match holds."""
        return (
            self.operator == "OR"
            and not self.negate
            and not self.children
            and all(m.vulnerable for m in self.matches)
        )

    def to_compact(self) -> dict[str, Any]:
        """Short JSON form for storage: ``{"o", "n", "m": [[criteria, vulnerable, vsi, vse,
        vei, vee]…], "c": [...]}`` with trailing empty bounds dropped."""
        out: dict[str, Any] = {"o": self.operator}
        if self.negate:
            out["n"] = 1
        if self.matches:
            rows = []
            for m in self.matches:
                row: list[Any] = [
                    m.criteria,
                    int(m.vulnerable),
                    m.start_including,
                    m.start_excluding,
                    m.end_including,
                    m.end_excluding,
                ]
                while row[-1] is None:
                    row.pop()
                rows.append(row)
            out["m"] = rows
        if self.children:
            out["c"] = [c.to_compact() for c in self.children]
        return out

    @classmethod
    def from_compact(cls, data: dict[str, Any]) -> Node:
        matches = []
        for row in data.get("m", []):
            padded = list(row) + [None] * (6 - len(row))
            matches.append(CpeMatch(padded[0], bool(padded[1]), *padded[2:6]))
        return cls(
            operator=data.get("o", "OR"),
            negate=bool(data.get("n")),
            matches=matches,
            children=[cls.from_compact(c) for c in data.get("c", [])],
        )


@dataclass(slots=True)
class Range:
    """A CVE 5 version object: one version, or ``version`` ≤ V < ``less_than`` / ≤ ``…or_equal``."""

    status: Status
    version: str
    less_than: str | None = None
    less_than_or_equal: str | None = None
    version_type: str | None = None
    changes: list[tuple[str, Status]] = field(default_factory=list)


@dataclass(slots=True)
class Affected:
    """A product or package and the status of its versions.

    Identified by CPE vendor/product (``cpes``), by package (``ecosystem`` + ``package``), or by
    free-text ``vendor``/``product`` (CVE 5 records without CPE).
    """

    vendor: str | None = None
    product: str | None = None
    cpes: list[str] = field(default_factory=list)
    ecosystem: str | None = None
    package: str | None = None
    default_status: Status = "unknown"
    ranges: list[Range] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)  # OSV: explicitly affected versions
    version_tags: bool = False  # versions are git tags (OSV GIT ranges) that need normalising
    git_only: bool = False  # only git ranges: status cannot be computed from a version
    fixed: list[str] = field(default_factory=list)
    modules: list[str] = field(default_factory=list)  # CVE 5 modules / programFiles
    platforms: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Affected:
        ranges = [
            Range(
                status=r["status"],
                version=r["version"],
                less_than=r.get("less_than"),
                less_than_or_equal=r.get("less_than_or_equal"),
                version_type=r.get("version_type"),
                changes=[(c[0], c[1]) for c in r.get("changes", [])],
            )
            for r in data.get("ranges", [])
        ]
        rest = {k: v for k, v in data.items() if k != "ranges"}
        return cls(ranges=ranges, **rest)


@dataclass(slots=True)
class Advisory:
    vuln_id: str
    source: str  # "nvd", "nvd-override", "cve5-cna", "cve5-adp", "osv", "csaf"
    published: str | None = None
    modified: str | None = None
    description: str | None = None
    aliases: list[str] = field(default_factory=list)
    cvss: list[CvssEntry] = field(default_factory=list)
    severity_text: str | None = None  # qualitative rating when no CVSS is given (e.g. "High")
    cwes: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    configurations: list[Node] = field(default_factory=list)
    affected: list[Affected] = field(default_factory=list)
    rejected: bool = False
