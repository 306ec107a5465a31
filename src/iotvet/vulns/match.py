"""Components → vulnerabilities, with source precedence and false-positive control.

For every component with a version the matcher collects evidence from every source, then lets
one source decide per vulnerability (documented precedence, not a vote):

1. NVD CPE configurations — Anchore's ``nvd-override`` when it has configurations for the CVE
   (it replaces NVD's), else ``nvd`` — decide whenever they speak about the component's
   vendor:product: affected when a configuration holds (:mod:`iotvet.vulns.nvdconfig`), not
   affected when none does.
2. For CVEs whose NVD configurations do not cover the product (NVD has not analysed them, or the
   data gap of the snapshot): the CNA's CVE 5 record, then CISA's ADP entries, then CSAF
   advisories, then OSV — the first that gives the version a definite status
   (:mod:`iotvet.vulns.ranges`). ``unknown`` (git-only ranges, free-text versions) decides
   nothing.
3. A distribution package is then judged with its distribution's own OSV data where present:
   a fix backported into the installed package version makes the status ``fixed``.
4. False-positive control: a BusyBox CVE whose applets are all missing from the binary becomes
   ``not_affected`` (``vulnerable_code_not_present``); a Linux kernel CVE becomes
   ``inconclusive`` — without the kernel's build configuration nobody can tell whether the
   affected code is compiled in, and most kernel CVE matches are in code a device does not build.
5. Triage (VEX statements stored beside the DB, :mod:`iotvet.vulns.vex`) overrides the status.
"""

from __future__ import annotations

import gc
import json
import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..inventory.identity import lookup as identity_lookup
from ..model import SEVERITY_ORDER, Component, Vulnerability
from ..rootfs import RootFS
from . import enrich, ranges
from .busybox import applet_verdict, busybox_applets
from .db import VulnDB, default_db_path, triage_path_for
from .nvdconfig import Criterion, Inventory, evaluate
from .records import Affected
from .targets import Target, attach_distros, build
from .versions import canonical, compare, version_key

FALLBACK_SOURCES = ("cve5-cna", "cve5-adp", "csaf", "osv")
_VENDOR_STOPWORDS = frozenset(
    {
        "the",
        "inc",
        "ltd",
        "llc",
        "org",
        "project",
        "foundation",
        "software",
        "team",
        "corp",
        "corporation",
        "com",
        "net",
        "and",
        "group",
        "community",
        "developers",
        "n",
        "a",
    }
)


@dataclass
class Evidence:
    """One source's statement about one vulnerability for one component."""

    source: str
    record_id: str
    status: str  # affected | unaffected | unknown
    fixed: list[str] = field(default_factory=list)
    detail: str = ""
    unverified_platforms: list[str] = field(default_factory=list)


@dataclass
class Decision:
    status: str
    source: str
    evidence: list[Evidence]
    reason: str
    justification: str | None = None
    fixed: list[str] = field(default_factory=list)


def match_components(
    components: list[Component],
    db_path: Path | None = None,
    *,
    roots: Sequence[RootFS] | None = None,
    triage_path: Path | None = None,
) -> tuple[list[Vulnerability], dict[str, Any]]:
    """Vulnerabilities of ``components`` and the data-freshness metadata for the report.

    ``roots`` (optional) lets the matcher read component files itself (BusyBox applet tables);
    ``triage_path`` defaults to the triage file beside the DB. Without a database the result is
    empty and the metadata says so.
    """
    path = db_path or default_db_path()
    if not path.exists():
        return [], {
            "available": False,
            "db": str(path),
            "note": f"no vulnerability database at {path}: run `iotvet vulndb import` or "
            "`iotvet vulndb update`; no vulnerabilities were matched",
        }
    try:
        with VulnDB(path) as db, _collector_paused():
            vulns, meta = Matcher(db).run(components, roots or ())
    except sqlite3.DatabaseError as exc:
        return [], {"available": False, "db": str(path), "note": f"unreadable database: {exc}"}
    triage = triage_path or triage_path_for(path)
    if triage.exists():
        from .vex import TriageStore  # only needed when triage decisions exist

        with TriageStore(triage) as store:
            meta["triage_applied"] = store.apply(vulns, components)
    return vulns, meta


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while matching.

    Matching builds tens of thousands of small, acyclic containers; the collector would walk them
    again and again (40 % of the time of a 1 000-component match). Reference counting still frees
    everything; the collector resumes afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Matcher:
    def __init__(self, db: VulnDB) -> None:
        self.db = db
        self._trees: dict[tuple[int, int], Any] = {}
        self._compiled: dict[tuple[str, str, str], list[Criterion]] = {}
        self._merged: dict[str, dict[str, Any]] = {}
        self._entries: dict[tuple[int, int], Affected] = {}
        self._affected_rows: dict[tuple[str, str], list[sqlite3.Row]] = {}

    # -- orchestration ------------------------------------------------------------------
    def run(
        self, components: list[Component], roots: Sequence[RootFS]
    ) -> tuple[list[Vulnerability], dict[str, Any]]:
        targets: list[Target] = []
        unversioned: list[str] = []
        inventory = Inventory()
        for index, component in enumerate(components):
            target = build(index, component)
            if target is None:
                unversioned.append(component.name)
                ident = identity_lookup(component.name)
                inventory.add(ident.cpe if ident else (), None)  # still tells which OS runs
                continue
            targets.append(target)
            inventory.add(target.triples, target.version)
        notes = attach_distros(targets)
        notes += self._distro_coverage(targets)
        for target in targets:
            if target.is_busybox and target.applets is None and roots:
                target.applets = _read_applets(target.component, roots)

        per_target: list[tuple[Target, dict[str, list[Evidence]], dict[str, list[Evidence]]]] = []
        record_ids: set[str] = set()
        for target in targets:
            upstream, distro = self._collect(target, inventory)
            per_target.append((target, upstream, distro))
            record_ids.update(upstream)
            record_ids.update(distro)
        records = self.db.advisories(record_ids)
        canonical_id = {rid: _canonical_id(rid, records.get(rid, [])) for rid in record_ids}
        all_ids = set(canonical_id.values())
        records.update(self.db.advisories(all_ids - set(records)))

        decided: list[tuple[Target, str, Decision]] = []
        reported: set[tuple[str, str]] = set()
        for target, upstream, distro in per_target:
            for vid, decision in self._decide(target, upstream, distro, canonical_id, records):
                # several packages of one project (curl + libcurl4) are one component@version
                if (target.component.ref, vid) not in reported:
                    reported.add((target.component.ref, vid))
                    decided.append((target, vid, decision))
        kev = self.db.kev(vid for _, vid, _ in decided)
        epss = self.db.epss(vid for _, vid, _ in decided)
        vulns = [
            self._vulnerability(target, vid, decision, records, kev, epss)
            for target, vid, decision in decided
        ]
        vulns.sort(key=lambda v: (v.component, -SEVERITY_ORDER.get(v.severity or "", -1), v.id))
        if unversioned:
            notes.append(
                f"{len(unversioned)} component(s) without a version were not matched: "
                + ", ".join(sorted(set(unversioned))[:20])
            )
        meta = {
            "available": True,
            "db": str(self.db.path),
            "built_at": self.db.info().get("built_at"),
            "sources": self.db.meta(),
            "components_matched": len(targets),
            "components_without_version": len(unversioned),
            "notes": notes,
        }
        return vulns, meta

    def _distro_coverage(self, targets: list[Target]) -> list[str]:
        """Say when distribution packages could not be judged with their distribution's data."""
        counts: dict[str, int] = defaultdict(int)
        for target in targets:
            if target.distro is not None and target.distro.release:
                counts[target.distro.label] += 1
        notes = []
        for label, count in sorted(counts.items()):
            if not self.db.has_ecosystem(label):
                notes.append(
                    f"{count} {label} package(s) judged on upstream versions only: no {label} "
                    "OSV data in the database, so distribution backports are not accounted for "
                    f"(import osv.dev's {label.split(':')[0]} archive to add them)"
                )
        return notes

    # -- evidence ------------------------------------------------------------------
    def _collect(
        self, target: Target, inventory: Inventory
    ) -> tuple[dict[str, list[Evidence]], dict[str, list[Evidence]]]:
        """Evidence per record id: upstream sources and the distribution's own data."""
        upstream: dict[str, list[Evidence]] = defaultdict(list)
        distro: dict[str, list[Evidence]] = defaultdict(list)
        self._nvd(target, inventory, upstream)
        self._affected(target, upstream, distro)
        return upstream, distro

    def _criteria(self, vendor: str, product: str, vkey: str) -> list[Criterion]:
        """Compiled criteria for vendor:product: exact ones for ``vkey`` or (``''``) the rest."""
        key = (vendor, product, vkey)
        found = self._compiled.get(key)
        if found is None:
            found = [
                Criterion.from_row(row, _describe_row(row))
                for row in self.db.cpe_candidates(vendor, product, vkey)
            ]
            self._compiled[key] = found
        return found

    def _nvd(self, target: Target, inventory: Inventory, out: dict[str, list[Evidence]]) -> None:
        vkey = canonical(target.version)
        key = version_key(target.version)
        hits: dict[tuple[int, int], tuple[Criterion, list[str]]] = {}
        for vendor, product in target.pairs:
            exact = (
                [c for c in self._criteria(vendor, product, vkey) if c.target_ok] if vkey else []
            )
            ranged = [
                c for c in self._criteria(vendor, product, "") if c.matches(target.version, key)
            ]
            for criterion in exact + ranged:
                where = (criterion.adv, criterion.config)
                end = criterion.bounds[3]  # versionEndExcluding: the first fixed version
                if where not in hits:
                    hits[where] = (criterion, [])
                if end and end not in hits[where][1]:
                    hits[where][1].append(end)
        for (adv, config), (criterion, fixed) in hits.items():
            unverified: list[str] = []
            tree = self._tree(adv, config)
            if tree is not None:
                result = evaluate(tree, target.pairs, target.version, inventory)
                if result.result is False:
                    continue
                unverified = result.unknown
            out[criterion.vuln_id].append(
                Evidence(
                    criterion.source,
                    criterion.vuln_id,
                    "affected",
                    fixed,
                    criterion.description,
                    unverified,
                )
            )

    def _tree(self, adv: int, config: int) -> Any:
        key = (adv, config)
        if key not in self._trees:
            self._trees[key] = self.db.config_tree(adv, config)
        return self._trees[key]

    def _rows(self, kind: str, k1: str) -> list[sqlite3.Row]:
        key = (kind, k1)
        if key not in self._affected_rows:
            self._affected_rows[key] = self.db.affected_rows(kind, k1)
        return self._affected_rows[key]

    def _entry(self, row: sqlite3.Row) -> Affected:
        key = (row["adv"], row["entry"])
        if key not in self._entries:
            self._entries[key] = Affected.from_dict(json.loads(row["data"]))
        return self._entries[key]

    def _affected(
        self, target: Target, upstream: dict[str, list[Evidence]], distro: dict[str, list[Evidence]]
    ) -> None:
        seen: set[tuple[int, int]] = set()
        candidates: list[sqlite3.Row] = []
        for vendor, product in target.pairs:
            candidates += self._rows("cpe", f"{vendor}:{product}")
        vendor_tokens = _tokens(target.vendors | target.names)
        for name in target.names:
            for row in self._rows("product", name):
                vendor = row["k2"] or ""
                if (
                    vendor in ("", "n_a")
                    or vendor in target.vendors
                    or (_tokens({vendor}) & vendor_tokens)
                ):
                    candidates.append(row)
        for ecosystem, package in target.osv:
            candidates += [
                r
                for r in self._rows("pkg", package.lower())
                if (r["k2"] or "").lower() == ecosystem.lower()
            ]
        for row in candidates:
            key = (row["adv"], row["entry"])
            if key in seen:
                continue
            seen.add(key)
            entry = self._entry(row)
            scheme = (
                None if row["kind"] != "pkg" or entry.ecosystem == "OSS-Fuzz" else entry.ecosystem
            )
            verdict = ranges.evaluate(entry, target.version, scheme, target.tag_names, target.tidy)
            upstream[row["vuln_id"]].append(
                Evidence(
                    row["source"],
                    row["vuln_id"],
                    verdict.status,
                    verdict.fixed,
                    f"{_entry_label(entry)}: {verdict.detail}",
                )
            )
        if target.distro is None or not target.distro.release:
            return
        wanted = {
            f"{target.distro.ecosystem}:{target.distro.release}".lower(),
            target.distro.ecosystem.lower(),
        }
        for name in target.distro.names:
            for row in self._rows("pkg", name):
                ecosystem = str(row["k2"] or "")
                if ecosystem.lower() not in wanted and not ecosystem.lower().startswith(
                    f"{target.distro.ecosystem}:{target.distro.release}:".lower()
                ):
                    continue
                key = (row["adv"], row["entry"])
                if key in seen:
                    continue
                seen.add(key)
                entry = self._entry(row)
                verdict = ranges.evaluate(entry, target.distro.version, target.distro.scheme)
                distro[row["vuln_id"]].append(
                    Evidence(
                        row["source"],
                        row["vuln_id"],
                        verdict.status,
                        verdict.fixed,
                        f"{ecosystem} {entry.package}: {verdict.detail}",
                    )
                )

    # -- decision ------------------------------------------------------------------
    def _decide(
        self,
        target: Target,
        upstream: dict[str, list[Evidence]],
        distro: dict[str, list[Evidence]],
        canonical_id: dict[str, str],
        records: dict[str, list[dict[str, Any]]],
    ) -> list[tuple[str, Decision]]:
        by_vuln: dict[str, list[Evidence]] = defaultdict(list)
        for rid, evs in upstream.items():
            by_vuln[canonical_id.get(rid, rid)].extend(evs)
        distro_by_vuln: dict[str, list[Evidence]] = defaultdict(list)
        for rid, evs in distro.items():
            distro_by_vuln[canonical_id.get(rid, rid)].extend(evs)
        out: list[tuple[str, Decision]] = []
        pairs = {f"{v}:{p}" for v, p in target.pairs}
        for vid in sorted(set(by_vuln) | set(distro_by_vuln)):
            recs = records.get(vid, [])
            if recs and all(r["rejected"] for r in recs):
                continue
            decision = _upstream_decision(by_vuln.get(vid, []), recs, pairs)
            decision = _distro_decision(decision, distro_by_vuln.get(vid, []), target)
            if decision is None:
                continue
            decision = _false_positive_control(target, vid, decision)
            out.append((vid, decision))
        return out

    # -- output ------------------------------------------------------------------
    def _vulnerability(
        self,
        target: Target,
        vid: str,
        decision: Decision,
        records: dict[str, list[dict[str, Any]]],
        kev: dict[str, sqlite3.Row],
        epss: dict[str, sqlite3.Row],
    ) -> Vulnerability:
        extra = tuple(sorted({e.record_id for e in decision.evidence} - {vid}))
        cache_key = vid + "|" + ",".join(extra)
        base = self._merged.get(cache_key)
        if base is None:
            recs = list(records.get(vid, []))
            for rid in extra:
                recs += records.get(rid, [])
            merged = enrich.merge(recs)
            aliases = [a for a in merged["aliases"] if a != vid]
            aliases += [rid for rid in extra if rid not in aliases]
            base = self._merged[cache_key] = {
                "id": vid,
                "aliases": aliases,
                "severity": merged["severity"],
                "cvss": merged["cvss"],
                "cvss_all": merged["cvss_all"],
                "cwes": merged["cwes"],
                "published": merged["published"],
                "description": merged["description"],
                "references": merged["references"],
                "source_list": merged["sources"]
                + (["kev"] if vid in kev else [])
                + (["epss"] if vid in epss else []),
                **enrich.kev_fields(kev.get(vid)),
                **enrich.epss_fields(epss.get(vid)),
            }
        sources = base["source_list"]
        if sources[:1] != [decision.source]:
            sources = [decision.source, *(s for s in sources if s != decision.source)]
        return _construct(base, sources, target, decision)


def _construct(
    base: dict[str, Any], sources: list[str], target: Target, decision: Decision
) -> Vulnerability:
    """Build the result without re-validating (every value already has the model's type);
    lists shared with the per-vulnerability cache are copied so results stay independent."""
    fields = {k: v for k, v in base.items() if k != "source_list"}
    for key in ("aliases", "cvss_all", "cwes", "references"):
        fields[key] = list(fields[key])
    return Vulnerability.model_construct(
        **fields,
        sources=list(sources),
        component=target.component.ref,
        status=decision.status,
        justification=decision.justification,
        reason=decision.reason,
        fixed_in=decision.fixed,
        purl=target.component.purl,
        match=[
            {"source": e.source, "record": e.record_id, "status": e.status, "detail": e.detail}
            for e in decision.evidence
        ],
    )


def _upstream_decision(
    evidence: list[Evidence], recs: list[dict[str, Any]], pairs: set[str]
) -> Decision | None:
    """Apply the source precedence of the module docstring to one vulnerability."""
    override = any(r["source"] == "nvd-override" and r["products"] for r in recs)
    nvd_source = "nvd-override" if override else "nvd"
    nvd_record = next((r for r in recs if r["source"] == nvd_source), None)
    if nvd_record is not None and nvd_record["products"] & pairs:
        hits = [e for e in evidence if e.source == nvd_source]
        if not hits:
            return None  # NVD's ranges for this product exclude the version
        return _affected(nvd_source, hits, evidence)
    for source in FALLBACK_SOURCES:
        found = [e for e in evidence if e.source == source]
        if any(e.status == "affected" for e in found):
            return _affected(source, [e for e in found if e.status == "affected"], evidence)
        if any(e.status == "unaffected" for e in found):
            return None
    return None


def _affected(source: str, hits: list[Evidence], evidence: list[Evidence]) -> Decision:
    fixed: list[str] = []
    for e in hits:
        fixed += [f for f in e.fixed if f not in fixed]
    reason = f"{source}: {hits[0].detail}"
    platforms = sorted({p for e in hits for p in e.unverified_platforms})
    if platforms and all(e.unverified_platforms for e in hits):
        reason += "; platform condition not verified (not in the inventory): " + ", ".join(
            platforms[:5]
        )
    dissent = [e for e in evidence if e.source != source and e.status == "unaffected"]
    if dissent:
        reason += f"; {dissent[0].source} disagrees ({dissent[0].detail})"
    return Decision("affected", source, hits, reason, fixed=_lowest_per_branch(fixed))


def _lowest_per_branch(fixed: list[str]) -> list[str]:
    """One fixed version per release branch (first two numbers), the lowest of each."""
    if len(fixed) < 2:
        return list(fixed)
    best: dict[str, str] = {}
    for version in fixed:
        branch = ".".join(re.findall(r"\d+", version)[:2])
        if branch not in best or compare(version, best[branch]) < 0:
            best[branch] = version
    return sorted(best.values(), key=_VersionOrder)


class _VersionOrder:
    def __init__(self, version: str) -> None:
        self.version = version

    def __lt__(self, other: _VersionOrder) -> bool:
        return compare(self.version, other.version) < 0


def _distro_decision(
    decision: Decision | None, evidence: list[Evidence], target: Target
) -> Decision | None:
    """Let the distribution's own data judge a distribution package (module docstring, 3)."""
    if not evidence or target.distro is None:
        return decision
    label = target.distro.label
    affected = [e for e in evidence if e.status == "affected"]
    if affected:
        fixed = sorted({f for e in affected for f in e.fixed})
        reason = f"{label}: {affected[0].detail}"
        return Decision("affected", f"osv:{label}", affected, reason, fixed=fixed)
    if any(e.status == "unaffected" for e in evidence) and decision is not None:
        detail = next(e.detail for e in evidence if e.status == "unaffected")
        return Decision(
            "fixed",
            f"osv:{label}",
            decision.evidence + evidence,
            f"{label} package {target.distro.version} carries the fix ({detail}); "
            f"upstream: {decision.reason}",
            fixed=decision.fixed,
        )
    return decision


def _false_positive_control(target: Target, vid: str, decision: Decision) -> Decision:
    if decision.status != "affected":
        return decision
    if target.is_busybox:
        verdict = applet_verdict(vid, target.applets)
        if verdict is not None:
            present, why = verdict
            if not present:
                decision.status = "not_affected"
                decision.justification = "vulnerable_code_not_present"
            decision.reason = f"{why}; {decision.reason}"
    if target.is_kernel:
        decision.status = "inconclusive"
        decision.reason = (
            "Linux kernel: whether the affected code is built into this kernel cannot be told "
            f"without its build configuration; {decision.reason}"
        )
    return decision


def _canonical_id(record_id: str, recs: list[dict[str, Any]]) -> str:
    """Report OSV/CSAF records under their CVE id when they name exactly one."""
    if record_id.startswith("CVE-"):
        return record_id
    cves = sorted({a for r in recs for a in r.get("aliases") or [] if str(a).startswith("CVE-")})
    return cves[0] if len(cves) == 1 else record_id


def _tokens(values: set[str]) -> set[str]:
    return {t for v in values for t in v.split("_") if len(t) > 1 and t not in _VENDOR_STOPWORDS}


def _describe_row(row: sqlite3.Row) -> str:
    vendor, product, version = row["vendor"], row["product"], row["version"]
    parts = []
    if row["vsi"]:
        parts.append(f"from {row['vsi']} (incl.)")
    if row["vse"]:
        parts.append(f"from {row['vse']} (excl.)")
    if row["vei"]:
        parts.append(f"up to {row['vei']} (incl.)")
    if row["vee"]:
        parts.append(f"up to {row['vee']} (excl.)")
    if not parts:
        update = row["update_"]
        shown = version if update in ("*", "-") else f"{version}:{update}"
        parts.append("all versions" if version == "*" else f"version {shown}")
    return f"{vendor}:{product} " + " ".join(parts)


def _entry_label(entry: Affected) -> str:
    if entry.package:
        return f"{entry.ecosystem or ''} {entry.package}".strip()
    return " ".join(filter(None, (entry.vendor, entry.product))) or "product"


def _read_applets(component: Component, roots: Sequence[RootFS]) -> list[str] | None:
    for path in component.files:
        for root in roots:
            data = root.read_bytes(path)
            if data:
                applets = busybox_applets(data)
                if applets:
                    return applets
    return None
