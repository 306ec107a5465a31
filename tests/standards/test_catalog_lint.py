"""The catalogs against themselves (lint) and against the standards research notes."""

from __future__ import annotations

from collections import Counter

import pytest
import research as R

from iotvet.model import THEMES
from iotvet.standards.catalog import REGIMES, Catalog, lint, lint_all, load_all, load_catalog
from iotvet.standards.declarations import field_paths


def _ids(regime: str, prefix: str = "") -> list[str]:
    return [r.id for r in load_catalog(regime).requirements if r.id.startswith(prefix)]


def _assert_kinds_and_checks(regime: str, rows: list[R.Row]) -> None:
    """Each research row's evidence kinds and check codes are those of the catalog entry."""
    catalog = load_catalog(regime)
    for row in rows:
        req = catalog.get(row.id)
        assert req.evidence_kinds == row.evidence_kinds, row.id
        assert req.checks == row.checks, row.id


def test_every_catalog_lints_clean() -> None:
    assert lint_all() == []


def test_lint_finds_planted_defects() -> None:
    """The lint is not vacuous: a catalog with known defects yields exactly those problems."""
    base = load_catalog("uk-psti").model_dump()
    broken = dict(base)
    reqs = [dict(r) for r in base["requirements"]]
    reqs.append(dict(reqs[0]))  # duplicate id
    reqs[1] = {**reqs[1], "decide": {"declare": ["support_period.no_such_field"]}}
    reqs[2] = {**reqs[2], "decide": {"themes": ["no-such-theme"]}}
    reqs[3] = {**reqs[3], "decide": {}}
    broken["requirements"] = reqs
    problems = lint(Catalog.model_validate(broken))
    assert any("duplicate id PSTI-1" in p for p in problems)
    assert any("unknown declaration field support_period.no_such_field" in p for p in problems)
    assert any("unknown theme no-such-theme" in p for p in problems)
    assert any("no decision rule and not document-only" in p for p in problems)


@pytest.mark.parametrize("catalog", load_all(), ids=lambda c: c.regime)
def test_unique_ids_sources_and_rules(catalog: Catalog) -> None:
    ids = [r.id for r in catalog.requirements]
    assert len(ids) == len(set(ids))
    assert catalog.sources and all(s.ref for s in catalog.sources)
    assert any(s.url for s in catalog.sources), "a catalog must link its primary source"
    for r in catalog.requirements:
        assert r.source.ref, r.id
        d = r.decide
        assert d.document_only or d.automatic or d.declared or d.children or d.requirements, r.id
        for t in d.themes:
            assert t.theme in THEMES
        for rule in d.declare:
            assert rule.field in field_paths()


def test_nist_ids_evidence_and_checks_match_research() -> None:
    rows = R.nist()
    assert [r.id for r in rows] == _ids("nist-ir-8425")
    _assert_kinds_and_checks("nist-ir-8425", rows)


def test_etsi_provisions_statuses_and_counts_match_research() -> None:
    rows = R.etsi()
    total, mandatory, recommended = R.etsi_counts()
    assert len(rows) == total
    assert [r.id for r in rows] == _ids("etsi-en-303-645")
    catalog = load_catalog("etsi-en-303-645")
    levels = Counter(r.level for r in catalog.requirements)
    assert levels == {"M": mandatory, "R": recommended}
    for row in rows:
        req = catalog.get(row.id)
        assert req.status == row.cells[2], row.id
        assert (req.v2_id, req.v2_status) == R.v2_expectation(row), row.id
    _assert_kinds_and_checks("etsi-en-303-645", rows)


def test_etsi_conditions_and_features_are_all_answerable() -> None:
    catalog = load_catalog("etsi-en-303-645")
    used = {ref for r in catalog.requirements for ref in r.status_refs()}
    assert used <= set(catalog.status_refs)
    assert all(path in field_paths() for path in catalog.status_refs.values())


def test_cra_matches_research() -> None:
    rows = R.cra()
    article14 = _ids("eu-cra", "CRA-14.")
    assert len(article14) == R.cra_article14_count()
    assert [r.id for r in rows] == [i for i in _ids("eu-cra") if i not in article14]
    _assert_kinds_and_checks("eu-cra", rows)


def test_psti_matches_research() -> None:
    rows = R.psti()
    assert [r.id for r in rows] == _ids("uk-psti", "PSTI-")[: len(rows)]
    assert len(_ids("uk-psti", "PSTI-SoC-")) == R.psti_statement_items()
    _assert_kinds_and_checks("uk-psti", rows)
    catalog = load_catalog("uk-psti")
    deemed = R.psti_deemed()
    for pid, provisions in deemed.items():
        mapped = {m.split(":", 1)[1] for m in catalog.get(pid).maps_to}
        assert mapped == provisions, pid


def test_fcc_registry_matches_research() -> None:
    rows = R.fcc()
    assert [r.id for r in rows] == _ids("fcc-registry")
    _assert_kinds_and_checks("fcc-registry", rows)


@pytest.mark.parametrize(
    ("regime", "start", "end"),
    [
        ("nist-ir-8425", "## 1. United States", "## 2. ETSI"),
        ("fcc-registry", "## 1. United States", "## 2. ETSI"),
        ("etsi-en-303-645", "## 2. ETSI", "## 3. EU"),
        ("eu-cra", "## 3. EU", "## 4. United Kingdom"),
        ("uk-psti", "## 4. United Kingdom", "## 5. TIA"),
    ],
)
def test_items_the_research_flags_unverified_are_marked(regime: str, start: str, end: str) -> None:
    assert R.flags_unverified(start, end) or "verify" in R.section("## 8. Open items", "\n---")
    assert load_catalog(regime).unverified, f"{regime}: research flags items to verify"


def test_regime_list_is_complete() -> None:
    assert {c.regime for c in load_all()} == set(REGIMES)
