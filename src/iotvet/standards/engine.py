"""Conformity engine: one scan report + one declaration file -> a verdict per requirement.

Firmware evidence enters through the report's theme verdicts (the stable contract of DESIGN.md),
narrowed where a catalog entry asks to the check families that matter for that requirement, plus
vulnerability facts (an affected, known-exploited vulnerability fails every requirement whose
catalog entry says ``vulns: kev``) and the component inventory. Declarations decide what the
firmware cannot show. Check ids are never matched in full, only their family prefix, so renaming a
check inside a family does not change any verdict.

Result precedence when several deciders meet: fail > needs-declaration > inconclusive > pass. An
applicability condition declared false makes a requirement not-applicable unless the firmware
evidence fails it: evidence wins over a declaration that contradicts it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..model import SEVERITY_ORDER, Finding, Report, ThemeVerdict, Verdict
from .catalog import REGIMES, Catalog, DeclRule, Requirement, ThemeRef, load_catalog, vocabulary
from .declarations import Declarations, Statement

_PRECEDENCE = ("fail", "needs-declaration", "inconclusive", "pass")
_MAX_LISTED = 6


@dataclass
class Outcome:
    """The result of one decider (a theme, the vulnerability facts, the declarations …)."""

    result: str  # pass | fail | inconclusive | needs-declaration | none (no evidence at all)
    evidence: list[str] = field(default_factory=list)
    reason: str = ""
    kind: str = "theme"  # which evidence decider: theme | vulns | inventory


def _worst(results: Iterable[str]) -> str:
    found = set(results)
    for r in _PRECEDENCE:
        if r in found:
            return r
    return "pass"


def _dedupe(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


def family(finding: Finding) -> str:
    """The check family of a finding: its check id up to the first dot."""
    return finding.check.split(".", 1)[0]


def _describe(findings: list[Finding]) -> str:
    parts = [
        f"{f.id or '?'} {f.check}{' ' + f.path if f.path else ''} ({f.title})"
        for f in findings[:_MAX_LISTED]
    ]
    more = len(findings) - _MAX_LISTED
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def _finding_evidence(findings: list[Finding]) -> list[str]:
    out: list[str] = []
    for f in findings:
        out += [f.id, f.path or ""]
    return out


class Evidence:
    """Indexes over one report, and the evidence deciders that read it."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.themes: dict[str, ThemeVerdict] = {t.theme: t for t in report.themes}
        self.findings: dict[str, Finding] = {f.id: f for f in report.findings if f.id}
        self.known_families = set(vocabulary().families)

    def theme(self, ref: ThemeRef) -> Outcome:
        tv = self.themes.get(ref.theme)
        scope = set(ref.families)
        tagged = [f for f in self.report.findings if ref.theme in f.themes]
        in_scope = [f for f in tagged if not scope or family(f) in scope]
        label = f"theme {ref.theme}" + (f" [{', '.join(ref.families)}]" if scope else "")
        pointer = f"themes.{ref.theme}"
        if tv is None:
            floor = SEVERITY_ORDER["medium"]
            serious = [f for f in in_scope if SEVERITY_ORDER[f.severity] >= floor]
            if serious:
                return Outcome(
                    "fail",
                    _finding_evidence(serious),
                    f"{label}: no theme verdict, but findings tagged with it: {_describe(serious)}",
                )
            return Outcome("none", [], f"{label} was not evaluated by the scan")
        if tv.result == "pass":
            return Outcome("pass", [pointer], f"{label} passes")
        if tv.result == "inconclusive":
            why = f": {tv.reason}" if tv.reason else ""
            return Outcome("inconclusive", [pointer], f"{label} is inconclusive{why}")
        deciding = [self.findings[i] for i in tv.findings if i in self.findings] or tagged
        if not scope:
            detail = _describe(deciding) if deciding else tv.reason or "no findings listed"
            return Outcome(
                "fail", [pointer, *_finding_evidence(deciding)], f"{label} fails: {detail}"
            )
        hits = [f for f in deciding if family(f) in scope]
        if hits:
            return Outcome(
                "fail", [pointer, *_finding_evidence(hits)], f"{label} fails: {_describe(hits)}"
            )
        if deciding and all(family(f) in self.known_families for f in deciding):
            return Outcome(
                "pass",
                [pointer, *_finding_evidence(deciding)],
                f"{label}: the theme fails only for findings outside these check families "
                f"({_describe(deciding)})",
            )
        return Outcome(
            "inconclusive",
            [pointer],
            f"{label}: the theme fails but its findings cannot be attributed to check families",
        )

    @property
    def vulnerability_data(self) -> bool:
        """Whether vulnerability matching ran (an empty list alone proves nothing)."""
        if "known-vulnerabilities" in self.themes or self.report.vulnerabilities:
            return True
        if self.report.data_sources.get("available") is False:
            return False  # the stage ran without a vulnerability database
        crashed = any(s.stage == "vulns" for s in self.report.skipped)
        return "vulns" in self.report.stats.stages and not crashed

    def vulns(self, mode: str) -> Outcome:
        affected = [v for v in self.report.vulnerabilities if v.status == "affected"]
        kev = [v for v in affected if v.kev]
        if kev:
            listed = ", ".join(f"{v.id} in {v.component}" for v in kev[:_MAX_LISTED])
            return Outcome(
                "fail",
                [v.id for v in kev],
                f"unpatched known-exploited vulnerabilities (CISA KEV): {listed}",
                kind="vulns",
            )
        if not self.vulnerability_data:
            return Outcome("none", [], "no vulnerability data in the report", kind="vulns")
        if mode == "exploitable":
            serious = [v for v in affected if (v.severity or "").lower() in ("critical", "high")]
            if serious:
                listed = ", ".join(f"{v.id} in {v.component}" for v in serious[:_MAX_LISTED])
                return Outcome(
                    "inconclusive",
                    [v.id for v in serious],
                    f"{len(serious)} affected high/critical vulnerabilities without an "
                    f"exploitability analysis (record VEX statements): {listed}",
                    kind="vulns",
                )
            return Outcome(
                "pass", [], "no affected high/critical or known-exploited vulnerability", "vulns"
            )
        return Outcome("pass", [], "no unpatched known-exploited vulnerability", kind="vulns")

    def inventory(self) -> Outcome:
        count = len(self.report.components)
        if not count:
            return Outcome("none", [], "the scan inventoried no components", kind="inventory")
        return Outcome(
            "pass", [], f"the scan inventoried {count} software components", kind="inventory"
        )


# --- declarations ------------------------------------------------------------------------------


def _value_state(value: Any, rule: DeclRule) -> str:
    """pass / fail / missing for one declared value under ``rule``."""
    if isinstance(value, Statement):
        value = value.implemented
    if value is None or value == "" or value == []:
        return "missing"
    if rule.min is not None:
        return "pass" if isinstance(value, int) and value >= rule.min else "fail"
    if rule.expect == "present":
        return "pass"
    if isinstance(value, bool):
        return "pass" if value else "fail"
    return "pass"


def _show(value: Any) -> str:
    if isinstance(value, Statement):
        text = f"implemented: {_show(value.implemented)}"
        return f"{text} ({value.detail})" if value.detail else text
    if value is None:
        return "unknown"
    return str(value).lower() if isinstance(value, bool) else str(value)


def _decl(path: str) -> str:
    return f"declarations.{path}"


def declared_outcome(decl: Declarations | None, rules: list[DeclRule]) -> Outcome:
    """The outcome of a list of declaration rules (all must hold)."""
    if not rules:
        return Outcome("none")
    if decl is None:
        names = ", ".join(r.field for r in rules)
        return Outcome("needs-declaration", [], f"no declaration file: needs {names}")
    missing: list[str] = []
    failed: list[str] = []
    passed: list[str] = []
    for rule in rules:
        if rule.when is not None:
            condition = decl.get(rule.when)
            if condition is False:
                continue
            if condition is None and _value_state(decl.get(rule.field), rule) == "missing":
                missing.append(f"{rule.when} (and {rule.field} if true)")
                continue
        states = {p: _value_state(decl.get(p), rule) for p in [rule.field, *rule.or_fields]}
        if "pass" in states.values():
            passed += [p for p, s in states.items() if s == "pass"]
        elif "fail" in states.values():
            failed += [p for p, s in states.items() if s == "fail"]
        else:
            missing.append(" or ".join(states))
    evidence = [_decl(p) for p in passed]
    if failed:
        shown = "; ".join(f"{p} = {_show(decl.get(p))}" for p in failed)
        return Outcome("fail", [_decl(p) for p in failed] + evidence, f"declared: {shown}")
    if missing:
        return Outcome("needs-declaration", evidence, "needs declaration of " + ", ".join(missing))
    return Outcome("pass", evidence, "declared: " + ", ".join(passed))


def min_support_outcome(decl: Declarations | None, years: int, unless: str | None) -> Outcome:
    if decl is None or decl.support_period.end_date is None:
        return Outcome("needs-declaration", [], "needs declaration of support_period.end_date")
    end = decl.support_period.end_date
    start = decl.support_period.start_date or dt.date.today()
    length = (end - start).days / 365.25
    evidence = [_decl("support_period.end_date")]
    if decl.support_period.start_date:
        evidence.append(_decl("support_period.start_date"))
    if length >= years:
        return Outcome("pass", evidence, f"support period {length:.1f} years (>= {years})")
    if unless and decl.get(unless):
        return Outcome(
            "pass",
            [*evidence, _decl(unless)],
            f"support period {length:.1f} years (< {years}) with a declared rationale",
        )
    return Outcome(
        "fail",
        evidence,
        f"support period {length:.1f} years is shorter than {years} and no "
        f"{unless or 'rationale'} is declared",
    )


# --- the engine --------------------------------------------------------------------------------


class _RegimeRun:
    """Verdicts of one regime, computed on demand so aggregates can read their parts."""

    def __init__(self, catalog: Catalog, ev: Evidence, decl: Declarations | None) -> None:
        self.catalog = catalog
        self.ev = ev
        self.decl = decl
        self.verdicts: dict[str, Verdict] = {}

    def run(self) -> list[Verdict]:
        deferred = [r for r in self.catalog.requirements if r.decide.ics_justifications]
        for req in self.catalog.requirements:
            if req not in deferred:
                self.verdict(req)
        for req in deferred:
            self.verdicts[req.id] = self._make(req, self._ics(req))
        return [self.verdicts[r.id] for r in self.catalog.requirements]

    def verdict(self, req: Requirement) -> Verdict:
        if req.id not in self.verdicts:
            self.verdicts[req.id] = self._decide(req)
        return self.verdicts[req.id]

    def _make(self, req: Requirement, outcome: Outcome) -> Verdict:
        return Verdict(
            regime=self.catalog.regime,
            requirement=req.id,
            result=outcome.result,  # type: ignore[arg-type]
            evidence=_dedupe(outcome.evidence),
            reason=outcome.reason,
        )

    def _decide(self, req: Requirement) -> Verdict:
        d = req.decide
        if d.document_only:
            return self._make(req, Outcome("inconclusive", [], f"document only: {d.document_only}"))
        if d.children or d.requirements:
            parts = self.catalog.children(req.id) if d.children else []
            parts += [self.catalog.get(i) for i in d.requirements]
            return self._make(req, self._aggregate([self.verdict(p) for p in parts]))
        evidence = self._evidence(req)
        absent = self._absent(req)
        if absent:
            failing = [o for o in evidence if o.result == "fail"]
            if failing:
                return self._make(
                    req,
                    Outcome(
                        "fail",
                        [e for o in failing for e in o.evidence] + [_decl(p) for p in absent],
                        f"declared not applicable ({', '.join(absent)} = false) but the firmware "
                        "evidence fails it: " + "; ".join(o.reason for o in failing),
                    ),
                )
            return self._make(
                req,
                Outcome(
                    "not-applicable",
                    [_decl(p) for p in absent],
                    f"not applicable: declared {', '.join(absent)} = false",
                ),
            )
        outcome = self._combine(req, evidence)
        if outcome.result == "needs-declaration":
            unknown = [
                p
                for p in self.catalog.applicability(req)
                if self.decl is None or self.decl.get(p) is None
            ]
            if unknown:
                outcome.reason += f"; or declare {', '.join(unknown)}: false if it does not apply"
        return self._make(req, outcome)

    def _absent(self, req: Requirement) -> list[str]:
        if self.decl is None:
            return []
        return [p for p in self.catalog.applicability(req) if self.decl.get(p) is False]

    def _evidence(self, req: Requirement) -> list[Outcome]:
        d = req.decide
        outcomes = [self.ev.theme(t) for t in d.themes]
        if d.vulns:
            outcomes.append(self.ev.vulns(d.vulns))
        if d.inventory:
            outcomes.append(self.ev.inventory())
        return outcomes

    def _combine(self, req: Requirement, evidence: list[Outcome]) -> Outcome:
        d = req.decide
        parts: list[Outcome] = []
        notes: list[str] = []
        have_evidence = any(o.result != "none" for o in evidence)
        for o in evidence:
            if o.result != "none":
                parts.append(o)
            elif d.declared or (o.kind != "theme" and have_evidence):
                # The declaration (or the other evidence) decides; say what was missing.
                notes.append(o.reason)
            else:
                parts.append(Outcome("inconclusive", [], o.reason))
        if d.declare:
            parts.append(declared_outcome(self.decl, d.declare))
        if d.min_support_years:
            rule = d.min_support_years
            parts.append(min_support_outcome(self.decl, rule.years, rule.unless))
        if not parts:
            return Outcome("inconclusive", [], "; ".join(notes) or "no evidence")
        result = _worst(o.result for o in parts)
        ordered = sorted(parts, key=lambda o: o.result != result)
        reason = "; ".join([o.reason for o in ordered if o.reason] + notes)
        return Outcome(result, [e for o in ordered for e in o.evidence], reason)

    def _aggregate(self, verdicts: list[Verdict]) -> Outcome:
        applicable = [v for v in verdicts if v.result != "not-applicable"]
        if not applicable:
            return Outcome("not-applicable", [], "all parts are not applicable")
        result = _worst(v.result for v in applicable)
        off = [f"{v.requirement} {v.result}" for v in applicable if v.result != "pass"]
        reason = "parts: " + (", ".join(off) if off else "all pass")
        return Outcome(result, [v.requirement for v in applicable if v.result == result], reason)

    def _ics(self, req: Requirement) -> Outcome:
        """EN 303 645 5.0-1: every recommendation not met has a recorded justification."""
        open_items = [
            r.id
            for r in self.catalog.requirements
            if r.level == "R" and self.verdicts[r.id].result not in ("pass", "not-applicable")
        ]
        if self.decl is None:
            return Outcome(
                "needs-declaration",
                [],
                f"no declaration file; {len(open_items)} recommendations need a justification",
            )
        answers = self.decl.ics
        justified = [i for i in open_items if i in answers and (answers[i].detail or "").strip()]
        missing = [i for i in open_items if i not in justified]
        evidence = [_decl(f"ics.{i}") for i in justified]
        if missing:
            return Outcome(
                "needs-declaration",
                evidence,
                "recommendations not (yet) met without a justification in declarations.ics: "
                + ", ".join(missing),
            )
        return Outcome(
            "pass",
            evidence,
            "every recommendation is met, not applicable by declared features, or justified"
            + (f" ({len(justified)} justified)" if justified else ""),
        )


def resolve_regimes(regimes: Iterable[str]) -> list[str]:
    """Expand ``all`` and check names; raises KeyError naming an unknown regime."""
    wanted: list[str] = []
    for name in regimes:
        if name == "all":
            wanted += REGIMES
        elif name in REGIMES:
            wanted.append(name)
        else:
            raise KeyError(f"unknown regime {name!r}; choose from: all, {', '.join(REGIMES)}")
    return list(dict.fromkeys(wanted))


def assess(report: Report, declarations: Declarations | None, regimes: list[str]) -> list[Verdict]:
    """One verdict per requirement of every requested regime (``["all"]`` for every regime)."""
    ev = Evidence(report)
    verdicts: list[Verdict] = []
    for regime in resolve_regimes(regimes):
        verdicts += _RegimeRun(load_catalog(regime), ev, declarations).run()
    return verdicts
