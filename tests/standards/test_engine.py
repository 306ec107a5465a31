"""Engine verdicts on evidence from the corpus truth, with no, a partial and a complete declaration.

Expected verdicts are derived from the truth files (theme results and planted facts) and from the
catalogs' own decision rules, never copied from engine output.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from corpus_reports import (
    ATT,
    COMPLETE,
    PARTIAL,
    PW,
    all_truths,
    by_id,
    failing,
    permissions_loose,
    report_from_truth,
    services_exposed,
    single_theme_requirements,
    truth,
    without_world_writable,
)

from iotvet.label.eligibility import eligibility
from iotvet.model import Finding, Report, Skipped, ThemeVerdict, Vulnerability
from iotvet.standards.catalog import REGIMES, load_catalog
from iotvet.standards.declarations import Declarations
from iotvet.standards.engine import assess

DECLS = {"none": None, "partial": PARTIAL, "complete": COMPLETE}
TRUTHS = all_truths()


def _name(t: dict[str, Any]) -> str:
    return str(t["image"]["name"])


@pytest.mark.parametrize("decl_name", list(DECLS))
@pytest.mark.parametrize("t", TRUTHS, ids=_name)
def test_every_requirement_gets_one_verdict(t: dict[str, Any], decl_name: str) -> None:
    verdicts = assess(report_from_truth(t), DECLS[decl_name], ["all"])
    expected = [(c, r.id) for c in REGIMES for r in load_catalog(c).requirements]
    assert [(v.regime, v.requirement) for v in verdicts] == expected
    for v in verdicts:
        assert v.reason, (v.regime, v.requirement)
        kind = load_catalog(v.regime).get(v.requirement).decide.kind
        if v.result in ("pass", "fail") and kind != "aggregate":
            assert v.evidence, (v.regime, v.requirement, v.reason)


@pytest.mark.parametrize("decl_name", list(DECLS))
@pytest.mark.parametrize("t", TRUTHS, ids=_name)
def test_default_password_fails_psti1_en_5_1_1_and_nist_interface_access(
    t: dict[str, Any], decl_name: str
) -> None:
    v = by_id(assess(report_from_truth(t), DECLS[decl_name], ["all"]))
    keys = [("uk-psti", "PSTI-1"), ("etsi-en-303-645", "5.1-1"), ("nist-ir-8425", "IAC-1b")]
    if failing(t, PW):
        for key in keys:
            assert v[key].result == "fail", (key, v[key].reason)
        assert v[("nist-ir-8425", "IAC")].result == "fail"
        # the evidence points at the account file or the backdoor service the truth names
        planted = {a["hash_file"] for a in t["findings"]["accounts"] if a["login_capable"]}
        assert planted & set(v[("etsi-en-303-645", "5.1-1")].evidence) or any(
            s["category"] == "debug-backdoor" for s in t["findings"]["services"]
        )
    else:
        assert v[("etsi-en-303-645", "5.1-1")].result in ("pass", "not-applicable")
        assert v[("nist-ir-8425", "IAC-1b")].result == "pass"


@pytest.mark.parametrize("t", TRUTHS, ids=_name)
def test_theme_results_carry_to_every_mapped_requirement(t: dict[str, Any]) -> None:
    for decl in DECLS.values():
        v = by_id(assess(report_from_truth(t), decl, ["all"]))
        for regime, rid, theme in single_theme_requirements():
            result = v[(regime, rid)].result
            if theme not in t["themes"]:
                assert result == "inconclusive", (regime, rid)
            elif failing(t, theme):
                assert result == "fail", (regime, rid)  # a declared absence cannot hide evidence
            else:
                assert result in ("pass", "not-applicable"), (regime, rid)


@pytest.mark.parametrize("t", TRUTHS, ids=_name)
def test_scoped_requirements_follow_the_planted_facts(t: dict[str, Any]) -> None:
    v = by_id(assess(report_from_truth(t), COMPLETE, ["nist-ir-8425", "etsi-en-303-645"]))
    assert v[("nist-ir-8425", "IAC-1a")].result == ("fail" if services_exposed(t) else "pass")
    assert v[("nist-ir-8425", "IAC-1c")].result == ("fail" if permissions_loose(t) else "pass")
    assert v[("etsi-en-303-645", "5.6-7")].result == ("fail" if permissions_loose(t) else "pass")
    debug = any(
        s["category"] == "debug-backdoor" and s["started_at_boot"]
        for s in t["findings"]["services"]
    )
    assert v[("etsi-en-303-645", "5.6-4A")].result == ("fail" if debug else "pass")


@pytest.mark.parametrize("t", TRUTHS, ids=_name)
def test_declaration_decided_requirements(t: dict[str, Any]) -> None:
    report = report_from_truth(t)
    for regime in REGIMES:
        catalog = load_catalog(regime)
        none = by_id(assess(report, None, [regime]))
        full = by_id(assess(report, COMPLETE, [regime]))
        for r in catalog.requirements:
            if r.decide.kind != "declaration" or r.decide.ics_justifications:
                continue
            assert none[(regime, r.id)].result == "needs-declaration", r.id
            assert full[(regime, r.id)].result != "needs-declaration", r.id
            if full[(regime, r.id)].result == "pass":
                assert any(e.startswith("declarations.") for e in full[(regime, r.id)].evidence)


def test_partial_declaration_decides_what_it_declares() -> None:
    v = by_id(assess(report_from_truth(truth("dunmore")), PARTIAL, ["all"]))
    assert v[("uk-psti", "PSTI-3")].result == "pass"  # support period end date and URL declared
    assert v[("fcc-registry", "fcc-reg-9")].result == "pass"
    assert v[("eu-cra", "CRA-II.6")].result == "pass"  # contact declared
    assert v[("uk-psti", "PSTI-2")].result == "needs-declaration"  # timelines missing
    assert "acknowledgement_days" in v[("uk-psti", "PSTI-2")].reason
    # no start date declared: the support period is counted from today
    years = (PARTIAL.support_period.end_date - dt.date.today()).days / 365.25  # type: ignore[operator]
    assert v[("eu-cra", "CRA-13.8")].result == ("pass" if years >= 5 else "fail")
    assert v[("nist-ir-8425", "SU-2")].result == "needs-declaration"
    sensors = v[("etsi-en-303-645", "5.8-3")]  # conditional: the fix may be to declare it absent
    assert sensors.result == "needs-declaration"
    assert "features.external_sensors: false" in sensors.reason


def test_dunmore_as_shipped_is_blocked_only_by_its_world_writable_directory() -> None:
    t = truth("dunmore")
    label = eligibility(assess(report_from_truth(t), COMPLETE, ["nist-ir-8425"]))
    assert not label.eligible
    assert [b.requirement for b in label.blockers] == ["IAC-1c"]
    planted = {w["path"] for w in t["findings"]["world_writable"]}
    assert planted <= set(label.blockers[0].evidence)


def test_clean_variant_with_complete_declaration_is_label_eligible() -> None:
    clean = without_world_writable(truth("dunmore"))
    assert not failing(clean, ATT)
    verdicts = assess(report_from_truth(clean), COMPLETE, ["all"])
    label = eligibility(verdicts)
    assert label.eligible, [(b.requirement, b.reason) for b in label.blockers]
    assert label.criteria == sum(
        1 for r in load_catalog("nist-ir-8425").requirements if not r.decide.children
    )
    assert label.by_evidence > 0 and label.by_declaration > 0
    # the same product without declarations is blocked by exactly the declaration-based criteria
    bare = eligibility(assess(report_from_truth(clean), None, ["nist-ir-8425"]))
    declared_kinds = {"declaration", "evidence+declaration"}
    expected = {
        r.id for r in load_catalog("nist-ir-8425").requirements if r.decide.kind in declared_kinds
    }
    assert {b.requirement for b in bare.blockers} == expected


@pytest.mark.parametrize("t", TRUTHS, ids=_name)
def test_label_eligibility_matches_the_truth(t: dict[str, Any]) -> None:
    label = eligibility(assess(report_from_truth(t), COMPLETE, ["nist-ir-8425"]))
    nist_themes = [
        PW,
        "secure-communication",
        "secure-storage-of-secrets",
        "software-update-integrity",
        "logging",
    ]
    expected = not any(failing(t, th) for th in nist_themes) and not services_exposed(t)
    expected = expected and not permissions_loose(t)
    assert label.eligible == expected


# --- vulnerabilities ---------------------------------------------------------------------------


def _with_vulns(report: Report, *vulns: Vulnerability) -> Report:
    out = copy.deepcopy(report)
    out.vulnerabilities = list(vulns)
    out.stats.stages["vulns"] = 0.1
    return out


def _kev(status: str = "affected") -> Vulnerability:
    return Vulnerability(
        id="CVE-2099-0001", component="busybox@1.35.0", severity="critical", kev=True, status=status
    )  # type: ignore[arg-type]


def test_unpatched_kev_fails_vulnerability_handling_in_every_regime() -> None:
    clean = report_from_truth(without_world_writable(truth("dunmore")))
    expected = {(c, r.id) for c in REGIMES for r in load_catalog(c).requirements if r.decide.vulns}
    assert {c for c, _ in expected} >= {"nist-ir-8425", "etsi-en-303-645", "eu-cra"}
    hit = by_id(assess(_with_vulns(clean, _kev()), COMPLETE, ["all"]))
    base = by_id(assess(_with_vulns(clean), COMPLETE, ["all"]))
    for key in expected:
        assert hit[key].result == "fail", key
        assert "CVE-2099-0001" in hit[key].evidence
        assert base[key].result == "pass", (key, base[key].reason)
    assert not eligibility(list(hit.values())).eligible
    fixed = by_id(assess(_with_vulns(clean, _kev("fixed")), COMPLETE, ["all"]))
    assert all(fixed[key].result == "pass" for key in expected)


def test_known_exploitable_vulnerabilities_need_analysis() -> None:
    clean = report_from_truth(without_world_writable(truth("dunmore")))
    high = Vulnerability(id="CVE-2099-0002", component="curl@7.88.1", severity="high")
    low = Vulnerability(id="CVE-2099-0003", component="curl@7.88.1", severity="low")
    key = ("eu-cra", "CRA-I.2a")
    assert by_id(assess(_with_vulns(clean, high), None, ["eu-cra"]))[key].result == "inconclusive"
    assert by_id(assess(_with_vulns(clean, low), None, ["eu-cra"]))[key].result == "pass"
    assert by_id(assess(clean, None, ["eu-cra"]))[key].result == "inconclusive"  # no vuln data
    crashed = _with_vulns(clean)  # the stage ran but crashed: an empty list proves nothing
    crashed.skipped.append(Skipped(path="x", reason="vulns failed", stage="vulns"))
    assert by_id(assess(crashed, None, ["eu-cra"]))[key].result == "inconclusive"
    no_db = _with_vulns(clean)  # the stage ran, but without a vulnerability database
    no_db.data_sources = {"available": False, "note": "no vulnerability database"}
    assert by_id(assess(no_db, None, ["eu-cra"]))[key].result == "inconclusive"


# --- evidence corner cases ---------------------------------------------------------------------


def _report(findings: list[Finding], themes: list[ThemeVerdict]) -> Report:
    base = report_from_truth(without_world_writable(truth("dunmore")))
    keep = [t for t in base.themes if t.theme not in {x.theme for x in themes}]
    base.findings = findings
    base.themes = keep + themes
    return base


def test_missing_theme_verdict_uses_tagged_findings_or_stays_inconclusive() -> None:
    report = _report([], [])
    report.themes = [t for t in report.themes if t.theme != "logging"]
    v = by_id(assess(report, None, ["nist-ir-8425"]))
    assert v[("nist-ir-8425", "CSA-1")].result == "inconclusive"
    report.findings = [
        Finding(
            id="F9", check="logging.none", severity="medium", title="no log", themes=["logging"]
        )
    ]
    v = by_id(assess(report, None, ["nist-ir-8425"]))
    assert v[("nist-ir-8425", "CSA-1")].result == "fail"
    assert "F9" in v[("nist-ir-8425", "CSA-1")].evidence


def test_scoped_theme_failure_of_unknown_family_is_not_a_pass() -> None:
    finding = Finding(id="F1", check="newfamily.thing", severity="high", title="?", themes=[ATT])
    report = _report([finding], [ThemeVerdict(theme=ATT, result="fail", findings=["F1"])])
    v = by_id(assess(report, None, ["nist-ir-8425", "eu-cra"]))
    assert v[("nist-ir-8425", "IAC-1c")].result == "inconclusive"
    assert v[("eu-cra", "CRA-I.2j")].result == "fail"  # unscoped: the theme decides alone
    renamed = Finding(
        id="F1",
        check="permissions.renamed-check",
        severity="medium",
        title="ww",
        path="/x",
        themes=[ATT],
    )
    report = _report([renamed], [ThemeVerdict(theme=ATT, result="fail", findings=["F1"])])
    v = by_id(assess(report, None, ["nist-ir-8425"]))
    assert v[("nist-ir-8425", "IAC-1c")].result == "fail"  # family prefix, not the full check id
    assert v[("nist-ir-8425", "IAC-1a")].result == "pass"


def _decl(**changes: Any) -> Declarations:
    data = COMPLETE.model_dump(by_alias=True)
    for path, value in changes.items():
        node = data
        *parents, last = path.split("__")
        for p in parents:
            node = node[p]
        node[last] = value
    return Declarations.model_validate(data)


def test_declared_absence_makes_not_applicable_unless_evidence_fails() -> None:
    clean = report_from_truth(without_world_writable(truth("dunmore")))
    acme = report_from_truth(truth("acme"))
    decl = _decl(features__passwords=False)
    assert (
        by_id(assess(clean, decl, ["etsi-en-303-645"]))[("etsi-en-303-645", "5.1-1")].result
        == "not-applicable"
    )
    contradicted = by_id(assess(acme, decl, ["etsi-en-303-645"]))[("etsi-en-303-645", "5.1-1")]
    assert contradicted.result == "fail"
    assert "declared not applicable" in contradicted.reason


def test_declared_false_fails_and_needs_justification_for_recommendations() -> None:
    clean = report_from_truth(without_world_writable(truth("dunmore")))
    v = by_id(assess(clean, COMPLETE, ["etsi-en-303-645"]))
    assert v[("etsi-en-303-645", "5.7-1")].result == "fail"  # secure boot declared not implemented
    assert v[("etsi-en-303-645", "5.0-1")].result == "pass"  # … and justified in ics
    unjustified = _decl(ics={})
    v = by_id(assess(clean, unjustified, ["etsi-en-303-645"]))
    assert v[("etsi-en-303-645", "5.0-1")].result == "needs-declaration"
    assert "5.7-1" in v[("etsi-en-303-645", "5.0-1")].reason


def test_support_period_length() -> None:
    clean = report_from_truth(without_world_writable(truth("dunmore")))
    start = dt.date(2024, 1, 1)
    short = _decl(
        support_period__start_date=start,
        support_period__end_date=dt.date(2027, 1, 1),
        support_period__rationale=None,
    )
    assert by_id(assess(clean, short, ["eu-cra"]))[("eu-cra", "CRA-13.8")].result == "fail"
    reasoned = _decl(support_period__start_date=start, support_period__end_date=dt.date(2027, 1, 1))
    assert by_id(assess(clean, reasoned, ["eu-cra"]))[("eu-cra", "CRA-13.8")].result == "pass"


def test_conditional_declaration_rule() -> None:
    clean = report_from_truth(without_world_writable(truth("dunmore")))
    no_unique = _decl(
        features__preinstalled_unique_passwords=False, capabilities__unique_password_generation={}
    )
    assert by_id(assess(clean, no_unique, ["uk-psti"]))[("uk-psti", "PSTI-1")].result == "pass"
    unknown = _decl(
        features__preinstalled_unique_passwords=None, capabilities__unique_password_generation={}
    )
    v = by_id(assess(clean, unknown, ["uk-psti"]))[("uk-psti", "PSTI-1")]
    assert v.result == "needs-declaration"
    assert "features.preinstalled_unique_passwords" in v.reason


def test_unknown_regime_is_rejected() -> None:
    with pytest.raises(KeyError, match="unknown regime"):
        assess(report_from_truth(truth("dunmore")), None, ["iso-27402"])
