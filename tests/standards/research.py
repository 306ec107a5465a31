"""Reads the standards research notes (../shared/reference/standards-research.md) into rows.

The catalog tests compare the catalogs with what this parser finds in the research file, so the
expected ids, statuses, evidence kinds and check codes come from the research, not from the
catalogs under test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from corpus import SHARED

RESEARCH = SHARED / "reference" / "standards-research.md"
_KINDS = re.compile(r"\b(FW|DT|DOC|PROC)\b")
_TICKS = re.compile(r"`([A-Z]+)`")


@dataclass
class Row:
    id: str
    cells: list[str]
    evidence_kinds: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)


@cache
def text() -> str:
    assert RESEARCH.exists(), f"research notes missing: {RESEARCH} (the tests need ../shared)"
    return RESEARCH.read_text(encoding="utf-8")


def section(start: str, end: str) -> str:
    body = text()
    i = body.index(start)
    return body[i : body.index(end, i + len(start))]


def table_rows(chunk: str) -> list[list[str]]:
    rows = []
    for line in chunk.splitlines():
        if not line.startswith("|") or set(line) <= set("|-: "):
            continue
        rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return rows


def _kinds(cell: str) -> list[str]:
    return _KINDS.findall(cell)


def _checks(cells: list[str]) -> list[str]:
    return [t for c in cells for t in _TICKS.findall(c)]


def nist() -> list[Row]:
    out = []
    for cells in table_rows(section("#### 1.5.1", "### 1.6")):
        rid = cells[0].replace("*", "").split()[0]
        if rid == "ID":
            continue
        out.append(Row(rid, cells, _kinds(cells[2]), _checks(cells[3:4])))
    return out


def etsi() -> list[Row]:
    out = []
    for cells in table_rows(section("### 2.2", "### 2.3")):
        if not re.match(r"^\d", cells[0]):
            continue
        out.append(Row(cells[0], cells, _kinds(cells[4]), _checks(cells[5:6])))
    return out


def etsi_counts() -> tuple[int, int, int]:
    """(rows, M, R) as the research states them ("78 rows = 36 M + 42 R")."""
    m = re.search(r"(\d+) rows = (\d+) M \+ (\d+) R", text())
    assert m, "research no longer states the EN 303 645 counts"
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def v2_expectation(row: Row) -> tuple[str | None, str | None]:
    """(V2 id, V2 status) from the research's V2 column, or its title ("V2 5.6-4", "split of")."""
    cell = row.cells[3].strip()
    if cell in ("—", "-"):
        return None, None
    status = re.match(r"^([MR](?: C\([^)]*\))?)", cell)
    ref = re.search(r"\((?:part of )?(\d[\d.]*-\d+)", cell) or re.search(
        r"(?:V2|split of) (\d[\d.]*-\d+)", row.cells[1]
    )
    v2_id = ref.group(1) if ref else row.id
    return v2_id, status.group(1) if status else None


def cra() -> list[Row]:
    out = []
    for cells in table_rows(section("### 3.2", "### 3.6")):
        if not cells[0].startswith("CRA-"):
            continue
        out.append(Row(cells[0], cells, _kinds(cells[2]), _checks(cells[2:])))
    return out


def cra_article14_count() -> int:
    """Reporting obligations: the trigger rows of the Art. 14 table plus the Art 14(8) bullet."""
    chunk = section("### 3.6", "### Sources (section 3)")
    triggers = [c for c in table_rows(chunk) if c[0].startswith("**")]
    bullets = [line for line in chunk.splitlines() if line.startswith("* Art 14(8)")]
    return len(triggers) + len(bullets)


def psti() -> list[Row]:
    out = []
    for cells in table_rows(section("## 4. United Kingdom", "### Sources (section 4)")):
        m = re.match(r"\*\*(PSTI-\d)", cells[0])
        if m:
            out.append(Row(m.group(1), cells, _kinds(cells[3]), _checks(cells[4:5])))
    return out


def psti_deemed() -> dict[str, set[str]]:
    """PSTI id -> EN 303 645 provisions of its deemed-compliance route (Schedule 2 column)."""
    return {r.id: set(re.findall(r"\*\*(\d\.\d+-\d+)\*\*", r.cells[2])) for r in psti()}


def psti_statement_items() -> int:
    """Contents of the statement of compliance (semicolon list) plus the retention duty."""
    chunk = section("## 4. United Kingdom", "### Sources (section 4)")
    m = re.search(r"Sch\. 4\):(.*?)Retention:", chunk, re.S)
    assert m, "research no longer lists the statement-of-compliance contents"
    return len([p for p in m.group(1).split(";") if p.strip()]) + 1


def fcc() -> list[Row]:
    out = []
    for cells in table_rows(section("### 1.4", "### 1.5")):
        m = re.search(r"`(fcc-reg-\d+)`", cells[2]) if len(cells) > 2 else None
        if m:
            out.append(Row(m.group(1), cells, _kinds(cells[3]), _checks(cells[4:5])))
    return out


def flags_unverified(start: str, end: str) -> bool:
    return "verify" in section(start, end)
