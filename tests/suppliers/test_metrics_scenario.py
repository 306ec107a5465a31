"""Measured metrics of the scenario (supplier_scenario.py), checked against hand-computed values.

Every expected number below was worked out on paper from the release dates and the publication /
KEV dates of the scenario's records; the comment next to it shows the arithmetic.

Exposures (which releases ship which vulnerability) follow from the corpus truth files:
  CVE-2099-0001 hostapd   critical  pub 2022-12-01 KEV 2023-02-15  in 1.0        → fixed by 1.1
  CVE-2099-0002 miniupnpd high      pub 2023-03-10                 in 1.0        → fixed by 1.1
  CVE-2099-0003 mosquitto high      pub 2023-04-01                 in 1.1        → fixed by 1.2
  CVE-2099-0004 openvpn   medium    pub 2024-01-10                 in 1.2        → fixed by 2.0
  CVE-2099-0005 expat     critical  pub 2023-08-01                 in 1.1        → fixed by 1.2,
                                                                   back in 2.0  → open (regression)
  CVE-2099-0006 busybox   high      pub 2023-06-20 KEV 2024-01-05  in all        → open
"""

from __future__ import annotations

from datetime import date

import pytest
from supplier_scenario import AS_OF, PRODUCT, RECORDS, RELEASES, UPSTREAM, truth_components

from iotvet.model import Report
from iotvet.store import Store
from iotvet.suppliers.config import scoring
from iotvet.suppliers.history import History, Release, from_store
from iotvet.suppliers.metrics import Metrics, hardening_values, measure, sbom_values
from iotvet.suppliers.registry import add_firmware, apply_sourcing, ensure_product
from iotvet.suppliers.sourcing import Sourcing


def _record_scenario(store: Store, reports: dict[str, Report]) -> None:
    with store.session() as session:
        product = ensure_product(session, PRODUCT)
        product.support_end = date(2027, 12, 31)
        for version, _, released in RELEASES:
            add_firmware(session, product, version, released, reports[version])
        apply_sourcing(
            session,
            Sourcing.model_validate({"schema": "iotvet/sourcing/1", "upstream_releases": UPSTREAM}),
        )


@pytest.fixture
def metrics(store: Store, release_reports: dict[str, Report]) -> Metrics:
    _record_scenario(store, release_reports)
    with store.session() as session:
        product = ensure_product(session, PRODUCT)
        history, notes = from_store(session, product)
    assert notes == []
    return measure([history], scoring().policy, AS_OF)


def test_scenario_is_grounded_in_the_corpus_truth(release_reports: dict[str, Report]) -> None:
    """Each release contains each scenario vulnerability exactly when its truth file lists the
    component: the exposures below are facts of the corpus, not of our scanner's output."""
    for version, name, _ in RELEASES:
        truth = truth_components(name)
        matched = {v.id for v in release_reports[version].vulnerabilities}
        expected = {vid for vid, (component, *_) in RECORDS.items() if component in truth}
        assert matched == expected, version


def test_exposures(metrics: Metrics) -> None:
    got = {
        (e.id, e.introduced_in): (e.releases, e.fixed_in_release, e.latency_days, e.open_age_days)
        for e in metrics.update_timeliness.exposures
    }
    assert got == {
        ("CVE-2099-0001", "1.0"): (["1.0"], "1.1", 165, None),  # 2022-12-01 → 2023-05-15
        ("CVE-2099-0002", "1.0"): (["1.0"], "1.1", 66, None),  # 2023-03-10 → 2023-05-15
        ("CVE-2099-0003", "1.1"): (["1.1"], "1.2", 228, None),  # 2023-04-01 → 2023-11-15
        ("CVE-2099-0004", "1.2"): (["1.2"], "2.0", 143, None),  # 2024-01-10 → 2024-06-01
        ("CVE-2099-0005", "1.1"): (["1.1"], "1.2", 106, None),  # 2023-08-01 → 2023-11-15
        # regression: clock restarts at release 2.0 (2024-06-01), open at 2024-09-01
        ("CVE-2099-0005", "2.0"): (["2.0"], None, None, 92),
        # open since publication 2023-06-20: 366 days to 2024-06-20 + 73 to 2024-09-01
        ("CVE-2099-0006", "1.0"): (["1.0", "1.1", "1.2", "2.0"], None, None, 439),
    }
    regression = next(e for e in metrics.update_timeliness.exposures if e.introduced_in == "2.0")
    assert regression.clock == "reintroduction"


def test_update_timeliness(metrics: Metrics) -> None:
    classes = metrics.update_timeliness.classes
    # closed latencies 66, 106, 143, 165, 228 → median 143; nearest-rank p90 = 5th of 5 = 228
    assert (classes["all"].closed, classes["all"].open) == (5, 2)
    assert (classes["all"].median_days, classes["all"].p90_days) == (143, 228)
    # with the open ages 92 and 439: 66 92 106 143 165 228 439 → median 143, p90 = 7th = 439
    assert (classes["all"].median_days_incl_open, classes["all"].p90_days_incl_open) == (143, 439)
    # critical: 106, 165 → median 135.5, p90 = 2nd of 2 = 165; one open (the regression)
    assert (classes["critical"].median_days, classes["critical"].p90_days) == (135.5, 165)
    assert classes["critical"].open == 1
    # high: 66, 228 → median 147; busybox open
    assert (classes["high"].median_days, classes["high"].open) == (147, 1)
    assert classes["medium"].median_days == 143
    assert classes["low"].closed == classes["low"].open == 0
    # from the upstream fix: hostapd 2.11 (2023-03-01) → 1.1 (2023-05-15) = 75 days;
    # mosquitto 2.0.16 (2023-08-16) → 1.2 (2023-11-15) = 91 days → median 83, p90 91
    assert classes["all"].upstream_known == 2
    assert classes["all"].median_days_from_upstream_fix == 83
    assert classes["all"].p90_days_from_upstream_fix == 91
    # KEV clock: CVE-2099-0001 KEV 2023-02-15 → fixed 2023-05-15 = 89 days;
    # CVE-2099-0006 KEV 2024-01-05 → open at 2024-09-01 = 240 days
    assert (classes["kev"].closed, classes["kev"].median_days) == (1, 89)
    assert classes["kev"].median_days_incl_open == 164.5  # (89 + 240) / 2


def test_vulnerability_control(metrics: Metrics) -> None:
    control = metrics.vulnerability_control
    # critical window 30: 165 and 106 late, regression open 92 days > 30 → 0 of 3
    assert (control["critical"].in_window, control["critical"].missed) == (0, 3)
    assert control["critical"].share == 0.0
    # high window 90: 66 in time, 228 late, busybox open 439 days → 1 of 3
    assert (control["high"].in_window, control["high"].missed) == (1, 2)
    assert control["high"].share == pytest.approx(1 / 3, abs=1e-4)
    assert control["critical_high"].share == pytest.approx(1 / 6, abs=1e-4)
    # KEV window 30: 89 days late, busybox open 240 days → 0 of 2
    assert (control["kev"].in_window, control["kev"].missed) == (0, 2)
    assert sorted(control["kev"].ids_missed) == ["CVE-2099-0001", "CVE-2099-0006"]


def test_vulnerability_control_window_is_configurable(
    store: Store, release_reports: dict[str, Report]
) -> None:
    _record_scenario(store, release_reports)
    with store.session() as session:
        history, _ = from_store(session, ensure_product(session, PRODUCT))
    policy = scoring().policy.model_copy(
        update={"windows_days": {"critical": 120, "high": 240, "kev": 100}}
    )
    control = measure([history], policy, AS_OF).vulnerability_control
    # critical 120: 106 in time, 165 late; the regression is 92 days old < 120 → pending
    assert (control["critical"].in_window, control["critical"].missed) == (1, 1)
    assert control["critical"].pending == 1
    # high 240: 66 and 228 in time, busybox 439 days open → missed
    assert (control["high"].in_window, control["high"].missed) == (2, 1)
    # KEV 100: 89 in time, 240 open → missed
    assert (control["kev"].in_window, control["kev"].missed) == (1, 1)


def test_debt_and_kev_exposure(metrics: Metrics) -> None:
    rows = {r.version: r for r in metrics.debt.releases}
    # 1.0 ships 0001 (critical, public 2022-12-01 ≤ 2023-01-15), 0002 and 0006 (not yet public)
    assert (rows["1.0"].counted, rows["1.0"].known_at_release, rows["1.0"].kev) == (3, 1, 2)
    assert rows["1.0"].by_severity["critical"] == 1 and rows["1.0"].by_severity["high"] == 2
    # 1.1 ships 0003 (public 2023-04-01 ≤ 2023-05-15), 0005 and 0006 (published later)
    assert (rows["1.1"].counted, rows["1.1"].known_at_release) == (3, 1)
    assert rows["1.1"].known_critical_high_at_release == 1
    # 1.2 ships 0004 (published 2024-01-10, later) and 0006 (public 2023-06-20)
    assert (rows["1.2"].counted, rows["1.2"].known_at_release) == (2, 1)
    assert rows["1.2"].by_severity["medium"] == 1
    # 2.0 ships 0005 and 0006, both public by 2024-06-01
    assert (rows["2.0"].counted, rows["2.0"].known_at_release, rows["2.0"].kev) == (2, 2, 1)
    # public critical at release: 0001 in 1.0 and 0005 in 2.0
    assert metrics.debt.shipped_known_critical == 2
    assert (metrics.debt.latest_counted, metrics.debt.latest_kev) == (2, 1)
    # KEV days: 0001 from KEV 2023-02-15 until 1.1 replaced 1.0 on 2023-05-15 = 89;
    # 0006 from KEV 2024-01-05: 1.2 until 2024-06-01 (148) + 2.0 until 2024-09-01 (92) = 240
    days = {k.id: k.days for k in metrics.kev_exposure.vulnerabilities}
    assert days == {"CVE-2099-0001": 89, "CVE-2099-0006": 240}
    assert metrics.kev_exposure.total_days == 329


def test_cadence(metrics: Metrics) -> None:
    cadence = metrics.cadence.products[0]
    # 2023-01-15 → 05-15: 120; → 11-15: 184; → 2024-06-01: 199
    assert cadence.intervals_days == [120, 184, 199]
    assert (cadence.median_interval_days, cadence.max_interval_days) == (184, 199)
    assert cadence.days_since_last_release == 92  # 2024-06-01 → 2024-09-01
    assert cadence.in_support is True and cadence.quiet_while_supported is False
    assert metrics.cadence.max_interval_days == 199


def test_quiet_product_in_support_is_flagged(
    store: Store, release_reports: dict[str, Report]
) -> None:
    _record_scenario(store, release_reports)
    with store.session() as session:
        history, _ = from_store(session, ensure_product(session, PRODUCT))
    # a year after the last release (2024-06-01 + 365 = 2025-06-01), still before support end
    cadence = measure([history], scoring().policy, date(2025, 6, 1)).cadence.products[0]
    assert cadence.days_since_last_release == 365
    assert cadence.quiet_while_supported is True
    # after the declared support end nothing is expected any more
    late = measure([history], scoring().policy, date(2028, 6, 1)).cadence.products[0]
    assert late.in_support is False and late.quiet_while_supported is False


def test_hardening_and_sbom_trends_follow_each_release(
    metrics: Metrics, release_reports: dict[str, Report]
) -> None:
    """Trend rows are the per-release values, in release order, computed from each release."""
    policy = scoring().policy
    assert [r.version for r in metrics.hardening.rows] == [v for v, _, _ in RELEASES]
    for row in metrics.hardening.rows:
        summary = next(
            f for f in release_reports[row.version].findings if f.check == "hardening.summary"
        )
        executables = summary.data["executables"]
        assert isinstance(executables, dict)
        assert row.values["executables.nx"] == executables["nx"]
    for row in metrics.sbom.rows:
        components = release_reports[row.version].components
        with_version = sum(1 for c in components if c.version)
        assert row.values["version"] == round(100 * with_version / len(components), 1)
    latest = release_reports["2.0"]
    assert metrics.hardening.latest == {
        **hardening_values(latest.findings, policy.hardening_properties),
        "mean": metrics.hardening.rows[-1].mean,
    }
    assert (
        metrics.sbom.latest["supplier"] == sbom_values(latest.components, ["supplier"])["supplier"]
    )


def test_history_from_reports_equals_history_from_store(
    metrics: Metrics, release_reports: dict[str, Report]
) -> None:
    history = History(
        product=PRODUCT,
        releases=[
            Release.from_report(version, released, release_reports[version])
            for version, _, released in reversed(RELEASES)  # order is restored by date
        ],
        support_end=date(2027, 12, 31),
        upstream_releases=UPSTREAM,
    )
    direct = measure([history], scoring().policy, AS_OF)
    assert direct.model_dump() == metrics.model_dump()


def test_pooled_metrics_of_two_product_lines(
    store: Store, release_reports: dict[str, Report]
) -> None:
    """A supplier with two product lines: events are pooled, per-line figures summed."""
    first = History(
        "line A",
        [Release.from_report(v, d, release_reports[v]) for v, _, d in RELEASES[:2]],
    )
    second = History(
        "line B",
        [Release.from_report(v, d, release_reports[v]) for v, _, d in RELEASES[2:]],
    )
    pooled = measure([first, second], scoring().policy, AS_OF)
    # line A: 0001 and 0002 fixed by 1.1 (165, 66 days); 0003, 0005, 0006 open at the end
    # line B: 0004 fixed by 2.0 (143); 0005 appears only in 2.0 (open, clock = publication
    #          2023-08-01 → 2024-09-01 = 397 days); 0006 open
    closed = sorted(
        e.latency_days for e in pooled.update_timeliness.exposures if e.latency_days is not None
    )
    assert closed == [66, 143, 165]
    assert pooled.update_timeliness.classes["all"].median_days == 143
    assert pooled.products == ["line A", "line B"]
    assert pooled.releases == 4
    # line A's last release 1.1 shipped 3, line B's 2.0 shipped 2
    assert pooled.debt.latest_counted == 5
