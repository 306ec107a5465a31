"""Metric rules on small hand-made histories: statuses, unknown dates, fixes before publication,
percentiles, releases without vulnerabilities."""

from __future__ import annotations

from datetime import date

from iotvet.model import Component, Vulnerability
from iotvet.suppliers.history import History, Release
from iotvet.suppliers.metrics import (
    Policy,
    component_name,
    measure,
    nearest_rank,
    parse_day,
)

POLICY = Policy(hardening_properties=["executables.nx"])


def vuln(vid: str, component: str = "zlib@1.2.13", **fields: object) -> Vulnerability:
    return Vulnerability.model_validate({"id": vid, "component": component, **fields})


def release(version: str, day: date, *vulns: Vulnerability) -> Release:
    return Release(
        version=version,
        released=day,
        components=[Component(name="zlib", version="1.2.13")],
        vulnerabilities=list(vulns),
    )


def test_only_counted_statuses_make_exposures() -> None:
    history = History(
        "p",
        [
            release(
                "1",
                date(2024, 1, 1),
                vuln("A", severity="high", published="2023-12-01", status="affected"),
                vuln("B", severity="high", published="2023-12-01", status="inconclusive"),
                vuln("C", severity="high", published="2023-12-01", status="not_affected"),
            ),
            release("2", date(2024, 2, 1)),
        ],
    )
    metrics = measure([history], POLICY, date(2024, 3, 1))
    assert [e.id for e in metrics.update_timeliness.exposures] == ["A"]
    wider = POLICY.model_copy(update={"statuses": ["affected", "inconclusive"]})
    assert len(measure([history], wider, date(2024, 3, 1)).update_timeliness.exposures) == 2


def test_fix_before_publication_counts_zero_days() -> None:
    history = History(
        "p",
        [
            release("1", date(2024, 1, 1), vuln("A", severity="critical", published="2024-03-01")),
            release("2", date(2024, 2, 1)),
        ],
    )
    exposure = measure([history], POLICY, date(2024, 6, 1)).update_timeliness.exposures[0]
    assert exposure.latency_days == 0
    assert exposure.fixed_before_publication is True
    control = measure([history], POLICY, date(2024, 6, 1)).vulnerability_control["critical"]
    assert (control.in_window, control.missed) == (1, 0)


def test_unknown_publication_is_counted_apart() -> None:
    history = History(
        "p",
        [
            release("1", date(2024, 1, 1), vuln("A", severity="low"), vuln("B", severity="low")),
            release("2", date(2024, 2, 1), vuln("B", severity="low")),
        ],
    )
    stats = measure([history], POLICY, date(2024, 3, 1)).update_timeliness.classes["low"]
    assert (stats.closed, stats.open, stats.unknown_start) == (1, 1, 2)
    assert stats.median_days is None and stats.median_days_incl_open is None


def test_same_id_in_two_components_is_two_exposures() -> None:
    history = History(
        "p",
        [
            release(
                "1",
                date(2024, 1, 1),
                vuln("A", "openssl@3.0.1", published="2023-12-01"),
                vuln("A", "libssl@3.0.1", published="2023-12-01"),
            ),
            release("2", date(2024, 1, 31), vuln("A", "openssl@3.0.2", published="2023-12-01")),
        ],
    )
    exposures = measure([history], POLICY, date(2024, 3, 1)).update_timeliness.exposures
    by_component = {e.component: e for e in exposures}
    assert by_component["libssl"].latency_days == 61  # 2023-12-01 → 2024-01-31
    # a new openssl version that is still affected keeps the exposure open
    assert by_component["openssl"].fixed_on is None
    assert by_component["openssl"].releases == ["1", "2"]


def test_severity_outside_the_vocabulary_is_unknown() -> None:
    history = History(
        "p", [release("1", date(2024, 1, 1), vuln("A", severity="MODERATE", published="2024-1-1"))]
    )
    metrics = measure([history], POLICY, date(2024, 1, 11))
    assert metrics.update_timeliness.exposures[0].severity == "unknown"
    assert metrics.debt.releases[0].by_severity["unknown"] == 1
    # "2024-1-1" is no ISO date: the publication is unknown rather than guessed
    assert metrics.update_timeliness.exposures[0].published is None


def test_nearest_rank_percentile() -> None:
    assert nearest_rank([], 90) is None
    assert nearest_rank([5], 90) == 5
    assert nearest_rank([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90) == 9  # ceil(9.0) = 9th
    assert nearest_rank([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 90) == 10  # ceil(9.9) = 10th


def test_helpers() -> None:
    assert component_name("busybox@1.35.0") == "busybox"
    assert component_name("linux") == "linux"
    assert component_name("@scope/pkg@1.0") == "@scope/pkg"
    assert parse_day("2023-02-01T10:00:00") == date(2023, 2, 1)
    assert parse_day(None) is None and parse_day("soon") is None


def test_a_single_release_and_no_vulnerabilities() -> None:
    metrics = measure([History("p", [release("1", date(2024, 1, 1))])], POLICY, date(2024, 2, 1))
    assert metrics.update_timeliness.exposures == []
    assert metrics.update_timeliness.classes["all"].median_days is None
    assert metrics.vulnerability_control["critical"].share is None
    assert metrics.kev_exposure.total_days == 0
    assert metrics.cadence.max_interval_days is None
    assert metrics.hardening.latest["mean"] is None  # no hardening.summary finding
    assert metrics.sbom.latest["version"] == 100.0


def test_measured_as_of_a_past_date_ignores_later_knowledge() -> None:
    history = History(
        "p",
        [
            release(
                "1",
                date(2024, 1, 1),
                vuln(
                    "OLD",
                    severity="high",
                    published="2023-12-01",
                    kev=True,
                    kev_date_added="2024-05-01",
                ),
                vuln("LATER", severity="critical", published="2024-04-01"),
            ),
            release("2", date(2024, 6, 1)),
        ],
    )
    metrics = measure([history], POLICY, date(2024, 3, 1))
    assert [e.id for e in metrics.update_timeliness.exposures] == ["OLD"]
    exposure = metrics.update_timeliness.exposures[0]
    # release 2 is after the as-of date: OLD is still open, 2023-12-01 → 2024-03-01 = 91 days
    assert (exposure.fixed_on, exposure.open_age_days) == (None, 91)
    assert exposure.kev is False  # added to KEV only on 2024-05-01
    assert metrics.releases == 1 and metrics.kev_exposure.total_days == 0
    later = measure([history], POLICY, date(2024, 7, 1))
    assert {e.id for e in later.update_timeliness.exposures} == {"OLD", "LATER"}
    assert later.update_timeliness.classes["kev"].closed == 1
