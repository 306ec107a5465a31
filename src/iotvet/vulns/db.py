"""The local vulnerability database: one SQLite file, built atomically, read-only when matching.

Layout (designed for matching, not for browsing):

* ``advisory`` — one row per (vulnerability id, source) with description, CVSS, CWE, references;
* ``cpe_match`` — one row per *vulnerable* CPE criterion, indexed by (vendor, product, vkey);
  ``vkey`` is the canonical form of an exact criteria version (``''`` for ranges, ANY and
  patterns), so an exact-version lookup and the range candidates are one index probe;
* ``config`` — the full AND/OR/negate tree of a configuration, stored only when it is not a plain
  OR of vulnerable criteria (most are);
* ``affected`` — product/package entries with ordered ranges (CVE 5, OSV, CSAF), indexed by
  (kind, key): ``cpe`` vendor:product, ``pkg`` ecosystem:name, ``product`` normalised name;
* ``kev``, ``epss`` — enrichment keyed by CVE id;
* ``meta`` — one row per source: fetched-at, record count, data date, origin (freshness shown in
  every report); ``info`` — schema version and build time.

Updates never modify the live file: :func:`build` copies it (or starts empty), applies the
imports to the copy and atomically renames the copy over the original only after the whole import
succeeded and the file passed SQLite's quick check. A crash, an exception or Ctrl-C leaves the
previous database untouched (and a stale temp file that the next build removes).
"""

from __future__ import annotations

import json
import os
import sqlite3
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..paths import iotvet_home
from . import cpe as cpemod
from .records import Advisory, Affected, CvssEntry, Node
from .versions import canonical

SCHEMA_VERSION = "1"
DB_FILENAME = "vulndb.sqlite"
TRIAGE_FILENAME = "triage.sqlite"

_TABLES = """
CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (
    source TEXT PRIMARY KEY, fetched_at TEXT, records INTEGER, data_date TEXT,
    origin TEXT, detail TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS advisory (
    id INTEGER PRIMARY KEY, vuln_id TEXT NOT NULL, source TEXT NOT NULL,
    published TEXT, modified TEXT, rejected INTEGER DEFAULT 0, products TEXT, data BLOB NOT NULL,
    UNIQUE (vuln_id, source));
CREATE TABLE IF NOT EXISTS cpe_match (
    adv INTEGER NOT NULL, config INTEGER NOT NULL, vendor TEXT NOT NULL, product TEXT NOT NULL,
    vkey TEXT NOT NULL, version TEXT, update_ TEXT, target_sw TEXT,
    vsi TEXT, vse TEXT, vei TEXT, vee TEXT);
CREATE TABLE IF NOT EXISTS config (
    adv INTEGER NOT NULL, config INTEGER NOT NULL, tree BLOB NOT NULL,
    PRIMARY KEY (adv, config)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS affected (
    adv INTEGER NOT NULL, entry INTEGER NOT NULL, kind TEXT NOT NULL, k1 TEXT NOT NULL,
    k2 TEXT, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS kev (
    cve TEXT PRIMARY KEY, date_added TEXT, due_date TEXT, ransomware TEXT, name TEXT,
    required_action TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS epss (
    cve TEXT PRIMARY KEY, score REAL, percentile REAL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS cpe_match_adv ON cpe_match (adv);
CREATE INDEX IF NOT EXISTS affected_adv ON affected (adv);
"""
# Lookup indexes: created after a bulk load (much faster than maintaining them row by row).
_LOOKUP_INDEXES = """
CREATE INDEX IF NOT EXISTS cpe_match_vp ON cpe_match (vendor, product, vkey);
CREATE INDEX IF NOT EXISTS affected_key ON affected (kind, k1);
CREATE INDEX IF NOT EXISTS advisory_vuln ON advisory (vuln_id);
"""


def default_db_path() -> Path:
    """``$IOTVET_VULNDB`` or ``IOTVET_HOME/vulndb.sqlite``."""
    env = os.environ.get("IOTVET_VULNDB")
    return Path(env) if env else iotvet_home() / DB_FILENAME


def triage_path_for(db_path: Path) -> Path:
    """Triage (VEX) decisions live in their own file beside the DB, so updates never touch them."""
    return db_path.with_name(TRIAGE_FILENAME)


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def product_key(name: str) -> str:
    """Normalised free-text product/vendor name: lower case, runs of non-alphanumerics → ``_``."""
    out = []
    for char in name.lower().strip():
        out.append(char if char.isalnum() else "_")
    return "_".join(filter(None, "".join(out).split("_")))


class DbWriter:
    """Adds advisories, KEV and EPSS rows to an open (temporary) database connection."""

    def __init__(self, conn: sqlite3.Connection, *, fresh: bool) -> None:
        self.conn = conn
        self.fresh = fresh
        self._seen: dict[tuple[str, str], tuple[int, str | None]] = {}
        self.counts: dict[str, int] = {}
        self.skipped: list[tuple[str, str]] = []
        self._meta: dict[str, dict[str, Any]] = {}

    # -- advisories ------------------------------------------------------------------
    def _existing(self, vuln_id: str, source: str) -> tuple[int, str | None] | None:
        key = (vuln_id, source)
        if key in self._seen:
            return self._seen[key]
        if self.fresh:
            return None
        row = self.conn.execute(
            "SELECT id, modified FROM advisory WHERE vuln_id=? AND source=?", key
        ).fetchone()
        return (row[0], row[1]) if row else None

    def add(self, adv: Advisory) -> bool:
        """Store ``adv``, replacing an older record of the same (id, source). False if older.

        When either record has no modification date (OpenSSL's published CVE 5 files carry none)
        the two cannot be ordered: they are merged instead — both views of the same authority
        are kept (``affected`` entries, references, CWEs and scores united).
        """
        existing = self._existing(adv.vuln_id, adv.source)
        if existing is not None:
            old_id, old_modified = existing
            if old_modified and adv.modified and adv.modified < old_modified:
                return False
            if not (old_modified and adv.modified) and not adv.configurations:
                adv = self._merged(old_id, adv)
            self._delete(old_id)
        payload = {
            "description": adv.description,
            "aliases": adv.aliases,
            "cvss": [_cvss_dict(c) for c in adv.cvss],
            "severity_text": adv.severity_text,
            "cwes": adv.cwes,
            "references": adv.references,
        }
        cur = self.conn.execute(
            "INSERT INTO advisory (vuln_id, source, published, modified, rejected, products, data)"
            " VALUES (?,?,?,?,?,?,?)",
            (
                adv.vuln_id,
                adv.source,
                adv.published,
                adv.modified,
                int(adv.rejected),
                " ".join(sorted(_config_products(adv.configurations))) or None,
                pack(payload),
            ),
        )
        adv_id = int(cur.lastrowid or 0)
        self._seen[(adv.vuln_id, adv.source)] = (adv_id, adv.modified)
        self._store_configurations(adv_id, adv.configurations)
        self._store_affected(adv_id, adv)
        self.counts[adv.source] = self.counts.get(adv.source, 0) + 1
        return True

    def _merged(self, old_id: int, adv: Advisory) -> Advisory:
        row = self.conn.execute(
            "SELECT published, modified, data FROM advisory WHERE id=?", (old_id,)
        ).fetchone()
        old = unpack(row[2])
        entries = [
            Affected.from_dict(json.loads(r[0]))
            for r in self.conn.execute(
                "SELECT data FROM affected WHERE adv=? GROUP BY entry ORDER BY entry", (old_id,)
            )
        ]
        known = {json.dumps(e.to_dict(), sort_keys=True) for e in adv.affected}
        extra = [e for e in entries if json.dumps(e.to_dict(), sort_keys=True) not in known]
        vectors = {c.vector for c in adv.cvss}
        return replace(
            adv,
            published=adv.published or row[0],
            modified=adv.modified or row[1],
            description=adv.description or old.get("description"),
            aliases=_union(adv.aliases, old.get("aliases")),
            cvss=adv.cvss
            + [CvssEntry(**c) for c in old.get("cvss") or [] if c["vector"] not in vectors],
            severity_text=adv.severity_text or old.get("severity_text"),
            cwes=_union(adv.cwes, old.get("cwes")),
            references=_union(adv.references, old.get("references")),
            affected=adv.affected + extra,
        )

    def _delete(self, adv_id: int) -> None:
        for table, column in (
            ("cpe_match", "adv"),
            ("config", "adv"),
            ("affected", "adv"),
            ("advisory", "id"),
        ):
            self.conn.execute(f"DELETE FROM {table} WHERE {column}=?", (adv_id,))

    def _store_configurations(self, adv_id: int, configurations: list[Node]) -> None:
        rows = []
        for index, node in enumerate(configurations):
            if not node.is_simple():
                self.conn.execute(
                    "INSERT INTO config (adv, config, tree) VALUES (?,?,?)",
                    (adv_id, index, pack(node.to_compact())),
                )
            for match in _walk_matches(node):
                if not match.vulnerable:
                    continue
                parsed = cpemod.parse(match.criteria)
                if parsed is None or parsed.vendor in ("*", "-") or parsed.product in ("*", "-"):
                    continue
                ranged = any(
                    (
                        match.start_including,
                        match.start_excluding,
                        match.end_including,
                        match.end_excluding,
                    )
                )
                exact = not ranged and parsed.version not in ("*", "-")
                exact = exact and not cpemod.has_wildcard(parsed.version)
                exact = exact and not cpemod.has_wildcard(parsed.update)
                vkey = canonical(_with_update(parsed.version, parsed.update)) if exact else ""
                rows.append(
                    (
                        adv_id,
                        index,
                        parsed.vendor,
                        parsed.product,
                        vkey,
                        parsed.version,
                        parsed.update,
                        parsed.target_sw,
                        match.start_including,
                        match.start_excluding,
                        match.end_including,
                        match.end_excluding,
                    )
                )
        self.conn.executemany(
            "INSERT INTO cpe_match (adv, config, vendor, product, vkey, version, update_,"
            " target_sw, vsi, vse, vei, vee) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )

    def _store_affected(self, adv_id: int, adv: Advisory) -> None:
        rows: list[tuple[int, int, str, str, str | None, str]] = []
        for entry_index, entry in enumerate(adv.affected):
            data = json.dumps(entry.to_dict(), separators=(",", ":"))  # small: kept readable
            keys: set[tuple[str, str, str | None]] = set()
            for text in entry.cpes:
                parsed = cpemod.parse(text)
                if parsed and parsed.vendor not in ("*", "-") and parsed.product not in ("*", "-"):
                    keys.add(("cpe", f"{parsed.vendor}:{parsed.product}", None))
            if entry.ecosystem and entry.package:
                keys.add(("pkg", entry.package.lower(), entry.ecosystem))
            if entry.product and not entry.cpes:
                product = product_key(entry.product)
                if product and product != "n_a":
                    keys.add(("product", product, product_key(entry.vendor or "")))
            rows.extend((adv_id, entry_index, kind, k1, k2, data) for kind, k1, k2 in keys)
        self.conn.executemany(
            "INSERT INTO affected (adv, entry, kind, k1, k2, data) VALUES (?,?,?,?,?,?)", rows
        )

    # -- enrichment ------------------------------------------------------------------
    def replace_kev(self, rows: Iterable[tuple[str, str, str, str, str, str]]) -> int:
        """Replace the KEV table (the catalog is published whole)."""
        self.conn.execute("DELETE FROM kev")
        cur = self.conn.executemany("INSERT OR REPLACE INTO kev VALUES (?,?,?,?,?,?)", rows)
        self.counts["kev"] = cur.rowcount
        return cur.rowcount

    def replace_epss(self, rows: Iterable[tuple[str, float, float]]) -> int:
        """Replace the EPSS table (each file is a complete daily snapshot)."""
        self.conn.execute("DELETE FROM epss")
        cur = self.conn.executemany("INSERT OR REPLACE INTO epss VALUES (?,?,?)", rows)
        self.counts["epss"] = cur.rowcount
        return cur.rowcount

    # -- metadata ------------------------------------------------------------------
    def note_source(
        self,
        source: str,
        *,
        origin: str,
        data_date: str | None = None,
        records: int | None = None,
        fetched_at: str | None = None,
        replace_origin: bool = False,
    ) -> None:
        """Remember what was imported for ``source``; written to ``meta`` when the build ends.

        ``replace_origin`` names ``origin`` as the only origin (a download URL instead of the
        scratch files it was saved to).
        """
        entry = self._meta.setdefault(
            source, {"origins": [], "data_date": None, "records": None, "fetched_at": None}
        )
        if replace_origin:
            entry["origins"] = []
        if origin not in entry["origins"]:
            entry["origins"].append(origin)
        if data_date and (entry["data_date"] is None or data_date > entry["data_date"]):
            entry["data_date"] = data_date
        if data_date and (entry.get("oldest") is None or data_date < entry["oldest"]):
            entry["oldest"] = data_date
        if records is not None:
            entry["records"] = records
        if fetched_at:
            entry["fetched_at"] = fetched_at

    def skip(self, origin: str, reason: str) -> None:
        self.skipped.append((origin, reason))

    def finish(self) -> None:
        """Create lookup indexes, refresh ``meta`` counts and the build stamp."""
        for statement in filter(None, (s.strip() for s in _LOOKUP_INDEXES.split(";"))):
            self.conn.execute(statement)
        counts = dict(
            self.conn.execute("SELECT source, count(*) FROM advisory GROUP BY source").fetchall()
        )
        counts["kev"] = self.conn.execute("SELECT count(*) FROM kev").fetchone()[0]
        counts["epss"] = self.conn.execute("SELECT count(*) FROM epss").fetchone()[0]
        # records whose every affected entry has only git ranges: not matchable by version
        git_only = dict(
            self.conn.execute(
                "SELECT a.source, count(*) FROM advisory a"
                " WHERE EXISTS (SELECT 1 FROM affected f WHERE f.adv = a.id)"
                " AND NOT EXISTS (SELECT 1 FROM affected f WHERE f.adv = a.id"
                " AND f.data NOT LIKE '%\"git_only\":true%') GROUP BY a.source"
            ).fetchall()
        )
        stamp = now_iso()
        for source, entry in self._meta.items():
            row = self.conn.execute(
                "SELECT data_date, origin, detail FROM meta WHERE source=?", (source,)
            ).fetchone()
            old_date, old_origin, old_detail = row or (None, None, None)
            data_date = max(filter(None, (old_date, entry["data_date"])), default=None)
            origin = _summarise_origins(entry["origins"])
            detail: dict[str, Any] = json.loads(old_detail) if old_detail else {}
            if entry.get("oldest") and entry["oldest"] != entry["data_date"]:
                detail["oldest_data_date"] = entry["oldest"]
            if git_only.get(source):
                detail["git_only_records"] = git_only[source]
            self.conn.execute(
                "INSERT OR REPLACE INTO meta (source, fetched_at, records, data_date, origin,"
                " detail) VALUES (?,?,?,?,?,?)",
                (
                    source,
                    entry["fetched_at"] or stamp,
                    entry["records"] if entry["records"] is not None else counts.get(source, 0),
                    data_date,
                    origin or old_origin,
                    json.dumps(detail) if detail else None,
                ),
            )
        for source, count in counts.items():
            self.conn.execute("UPDATE meta SET records=? WHERE source=?", (count, source))
        self.conn.execute(
            "INSERT OR REPLACE INTO info VALUES ('schema', ?), ('built_at', ?)",
            (SCHEMA_VERSION, stamp),
        )


def _summarise_origins(origins: list[str]) -> str:
    """One line for the metadata: few origins listed, many named by their common folder."""
    if len(origins) <= 3:
        return ", ".join(origins)
    common = os.path.commonpath(origins) if all(o.startswith("/") for o in origins) else ""
    return f"{common or origins[0]} ({len(origins)} files)"


def _union(first: list[str], second: list[str] | None) -> list[str]:
    return first + [x for x in second or [] if x not in first]


def _with_update(version: str, update: str) -> str:
    return version if update in ("*", "-") else f"{version}{update}"


def _config_products(configurations: list[Node]) -> set[str]:
    """``vendor:product`` of every vulnerable criterion: what the configurations speak about."""
    out = set()
    for node in configurations:
        for match in _walk_matches(node):
            parsed = cpemod.parse(match.criteria) if match.vulnerable else None
            if parsed is not None:
                out.add(f"{parsed.vendor}:{parsed.product}")
    return out


def _walk_matches(node: Node) -> Iterator[Any]:
    yield from node.matches
    for child in node.children:
        yield from _walk_matches(child)


def pack(value: Any) -> bytes:
    """Compact JSON, zlib-compressed: descriptions, references and trees are stored this way."""
    return zlib.compress(json.dumps(value, separators=(",", ":")).encode(), 1)


def unpack(blob: bytes) -> Any:
    return json.loads(zlib.decompress(blob))


def _cvss_dict(entry: CvssEntry) -> dict[str, Any]:
    return {
        "version": entry.version,
        "vector": entry.vector,
        "score": entry.score,
        "severity": entry.severity,
        "source": entry.source,
        "primary": entry.primary,
    }


def _tmp_path(db_path: Path) -> Path:
    return db_path.with_name(f".{db_path.name}.build-{os.getpid()}")


def _remove_stale_builds(db_path: Path) -> None:
    for stale in db_path.parent.glob(f".{db_path.name}.build-*"):
        pid = stale.name.rsplit("-", 1)[-1]
        if pid.isdigit() and pid_alive(int(pid)) and int(pid) != os.getpid():
            continue  # another build is running right now
        stale.unlink(missing_ok=True)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def build(db_path: Path, *, fresh: bool = False) -> Iterator[DbWriter]:
    """Open a writable copy of the DB; on success it atomically replaces ``db_path``.

    ``fresh`` starts from an empty database (a full rebuild) instead of the current one.
    """
    db_path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_builds(db_path)
    tmp = _tmp_path(db_path)
    tmp.unlink(missing_ok=True)
    start_empty = fresh or not db_path.exists()
    if not start_empty:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as src:
            dst = sqlite3.connect(tmp)
            src.backup(dst)
            dst.close()
    conn = sqlite3.connect(tmp, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=OFF")  # the temp copy is thrown away on failure
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-65536")
        conn.executescript(_TABLES)
        if not start_empty:
            conn.executescript(_LOOKUP_INDEXES)
        conn.execute("BEGIN")
        writer = DbWriter(conn, fresh=start_empty)
        yield writer
        writer.finish()
        conn.execute("COMMIT")
        check = conn.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise sqlite3.DatabaseError(f"vulnerability DB failed its quick check: {check}")
        conn.execute("ANALYZE")
        conn.close()
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, db_path)
    except BaseException:
        conn.close()
        tmp.unlink(missing_ok=True)
        raise


class VulnDB:
    """Read-only access to a built vulnerability database (with small per-instance caches)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self.conn.execute("PRAGMA query_only=ON")
        self.conn.row_factory = sqlite3.Row

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> VulnDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def info(self) -> dict[str, str]:
        return {r["key"]: r["value"] for r in self.conn.execute("SELECT key, value FROM info")}

    def meta(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute("SELECT * FROM meta ORDER BY source")]

    def cpe_candidates(self, vendor: str, product: str, vkey: str) -> list[sqlite3.Row]:
        """Vulnerable criteria for vendor:product with exact version key ``vkey``; ``vkey=''``
        gives the criteria that need evaluating (ranges, ANY, NA, patterns)."""
        rows: list[sqlite3.Row] = self.conn.execute(
            "SELECT m.*, a.vuln_id, a.source FROM cpe_match m JOIN advisory a ON a.id = m.adv"
            " WHERE m.vendor=? AND m.product=? AND m.vkey=?",
            (vendor, product, vkey),
        ).fetchall()
        return rows

    def config_tree(self, adv: int, config: int) -> Node | None:
        row = self.conn.execute(
            "SELECT tree FROM config WHERE adv=? AND config=?", (adv, config)
        ).fetchone()
        return Node.from_compact(unpack(row["tree"])) if row else None

    def affected_rows(self, kind: str, k1: str) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT f.*, a.vuln_id, a.source FROM affected f JOIN advisory a ON a.id = f.adv"
            " WHERE f.kind=? AND f.k1=?",
            (kind, k1),
        ).fetchall()

    def has_ecosystem(self, ecosystem: str) -> bool:
        """Does the DB hold package data of an OSV ecosystem (``Debian`` also finds
        ``Debian:12``)?"""
        row = self.conn.execute(
            "SELECT 1 FROM affected WHERE kind='pkg' AND (k2=? OR k2 LIKE ?) LIMIT 1",
            (ecosystem, f"{ecosystem}:%"),
        ).fetchone()
        return row is not None

    def advisories(self, vuln_ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
        """Every source's record of each id, payload unpacked, ``products`` as a set."""
        out: dict[str, list[dict[str, Any]]] = {}
        ids = sorted(set(vuln_ids))
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.conn.execute(
                f"SELECT * FROM advisory WHERE vuln_id IN ({marks})", chunk
            ):
                record = {k: row[k] for k in ("vuln_id", "source", "published", "modified")}
                record["rejected"] = bool(row["rejected"])
                record["products"] = set((row["products"] or "").split())
                record.update(unpack(row["data"]))
                out.setdefault(row["vuln_id"], []).append(record)
        return out

    def kev(self, cves: Iterable[str]) -> dict[str, sqlite3.Row]:
        return {r["cve"]: r for r in self._by_ids("kev", "cve", cves)}

    def epss(self, cves: Iterable[str]) -> dict[str, sqlite3.Row]:
        return {r["cve"]: r for r in self._by_ids("epss", "cve", cves)}

    def _by_ids(self, table: str, column: str, ids: Iterable[str]) -> list[sqlite3.Row]:
        keys = sorted(set(ids))
        rows: list[sqlite3.Row] = []
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows.extend(
                self.conn.execute(f"SELECT * FROM {table} WHERE {column} IN ({marks})", chunk)
            )
        return rows

    def stats(self) -> dict[str, Any]:
        """Per-source counts and freshness, plus table sizes (for ``vulndb stats``)."""
        tables = {
            name: self.conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
            for name in ("advisory", "cpe_match", "config", "affected", "kev", "epss")
        }
        return {
            "path": str(self.path),
            "size_bytes": self.path.stat().st_size,
            "info": self.info(),
            "sources": self.meta(),
            "tables": tables,
        }
