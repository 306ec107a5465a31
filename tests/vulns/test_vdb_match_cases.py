"""Matching cases checked by hand against the records in ../shared/vulndata.

Every case names the CVE, the file the record comes from and the criterion read in it; the
expected outcome was decided by reading that range, not by running the matcher. Criteria are
written ``≥``/``>`` for versionStartIncluding/Excluding and ``≤``/``<`` for
versionEndIncluding/Excluding; "2016 feed" is nvd-1.1/nvdcve-1.1-2016.json.gz, "override 2011" is
nvd-2.0-overrides.zip data/2011/…. ``hit`` means the vulnerability must be reported for the
component (``affected``; Linux kernel matches are ``inconclusive`` by design), ``miss`` that it
must not be.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from iotvet.model import Component
from iotvet.vulns import match_components

HIT, MISS = True, False

CASES: list[tuple[str, str, str, bool, str]] = [
    # --- OpenSSL (letter versions)
    ("openssl", "1.0.2j", "CVE-2016-7055", HIT, "2016 feed: ≥1.0.2, <1.0.2k"),
    ("openssl", "1.0.2k", "CVE-2016-7055", MISS, "2016 feed: <1.0.2k"),
    ("openssl", "1.1.0b", "CVE-2016-7055", HIT, "2016 feed: ≥1.1.0, <1.1.0c"),
    ("openssl", "1.1.0c", "CVE-2016-7055", MISS, "2016 feed: <1.1.0c"),
    ("openssl", "1.0.2a", "CVE-2018-0737", MISS, "2018 feed: ≥1.0.2b (1.0.2a is before it)"),
    ("openssl", "1.0.2b", "CVE-2018-0737", HIT, "2018 feed: ≥1.0.2b"),
    ("openssl", "1.0.2o", "CVE-2018-0737", HIT, "2018 feed: ≤1.0.2o"),
    ("openssl", "1.0.2p", "CVE-2018-0737", MISS, "2018 feed: ≤1.0.2o"),
    ("openssl", "1.0.1m", "CVE-2016-2108", HIT, "2016 feed: ≤1.0.1n"),
    ("openssl", "1.0.1u", "CVE-2016-2108", MISS, "2016 feed: ≤1.0.1n; 1.0.2 betas listed exactly"),
    (
        "openssl",
        "1.0.2-beta2",
        "CVE-2016-2108",
        HIT,
        "2016 feed: exact cpe ...:openssl:1.0.2:beta2",
    ),
    ("openssl", "1.0.2c", "CVE-2016-2108", MISS, "2016 feed: exact 1.0.2, 1.0.2a, 1.0.2b only"),
    ("openssl", "1.1.1j", "CVE-2021-3449", HIT, "2021 feed: ≥1.1.1, <1.1.1k"),
    ("openssl", "1.1.1k", "CVE-2021-3449", MISS, "2021 feed: <1.1.1k"),
    ("openssl", "1.1.1g", "CVE-2021-3450", MISS, "2021 feed: ≥1.1.1h"),
    ("openssl", "1.1.1h", "CVE-2021-3450", HIT, "2021 feed: ≥1.1.1h, <1.1.1k"),
    ("openssl", "1.0.2y", "CVE-2021-3712", HIT, "2021 feed: ≥1.0.2, <1.0.2za"),
    ("openssl", "1.0.2za", "CVE-2021-3712", MISS, "2021 feed: <1.0.2za"),
    ("openssl", "3.0.7", "CVE-2023-0286", HIT, "2023 feed: ≥3.0.0, <3.0.8"),
    ("openssl", "3.0.8", "CVE-2023-0286", MISS, "2023 feed: <3.0.8"),
    ("openssl", "1.0.2zf", "CVE-2023-0286", HIT, "2023 feed: ≥1.0.2, <1.0.2zg"),
    ("openssl", "3.0.8", "CVE-2023-0464", HIT, "2023 feed: ≥3.0.0, <3.0.9"),
    ("openssl", "3.0.9", "CVE-2023-0464", MISS, "2023 feed: <3.0.9"),
    # --- BusyBox
    ("busybox", "1.19.4", "CVE-2011-2716", HIT, "override 2011: <1.20.0"),
    ("busybox", "1.20.0", "CVE-2011-2716", MISS, "override 2011: <1.20.0"),
    ("busybox", "1.27.2", "CVE-2017-15873", HIT, "2017 feed: exact cpe ...:busybox:1.27.2"),
    ("busybox", "1.27.1", "CVE-2017-15873", MISS, "2017 feed: only 1.27.2 is listed"),
    ("busybox", "1.32.1", "CVE-2021-28831", HIT, "2021 feed: ≥1.32.0, ≤1.32.1"),
    ("busybox", "1.31.1", "CVE-2021-28831", MISS, "2021 feed: ≥1.32.0"),
    ("busybox", "1.29.3", "CVE-2018-20679", HIT, "2018 feed: <1.30.0"),
    ("busybox", "1.30.0", "CVE-2018-20679", MISS, "2018 feed: <1.30.0"),
    ("busybox", "1.35.0", "CVE-2024-58251", HIT, "override 2024: ≤1.37.0"),
    # --- Dropbear
    ("dropbear", "2016.73", "CVE-2016-7406", HIT, "2016 feed: ≤2016.73"),
    ("dropbear", "2016.74", "CVE-2016-7406", MISS, "2016 feed: ≤2016.73"),
    ("dropbear", "2017.74", "CVE-2017-9078", HIT, "2017 feed: <2017.75"),
    ("dropbear", "2017.75", "CVE-2017-9078", MISS, "2017 feed: <2017.75"),
    ("dropbear", "2022.82", "CVE-2023-48795", HIT, "modified feed: dropbear_ssh <2022.83"),
    ("dropbear", "2022.83", "CVE-2023-48795", MISS, "modified feed: dropbear_ssh <2022.83"),
    # --- dnsmasq
    ("dnsmasq", "2.77", "CVE-2017-14491", HIT, "2017 feed: ≤2.77"),
    ("dnsmasq", "2.78", "CVE-2017-14491", MISS, "2017 feed: ≤2.77"),
    ("dnsmasq", "2.84", "CVE-2021-3448", HIT, "2021 feed: <2.85"),
    ("dnsmasq", "2.85", "CVE-2021-3448", MISS, "2021 feed: <2.85"),
    ("dnsmasq", "2.89", "CVE-2023-28450", HIT, "2023 feed: <2.90"),
    ("dnsmasq", "2.90", "CVE-2023-28450", MISS, "2023 feed: <2.90"),
    ("dnsmasq", "2.9", "CVE-2023-28450", HIT, "2023 feed: <2.90 (2.9 < 2.90)"),
    # --- curl
    ("curl", "7.50.3", "CVE-2016-8615", HIT, "2016 feed: haxx:curl <7.51.0"),
    ("curl", "7.51.0", "CVE-2016-8615", MISS, "2016 feed: haxx:curl <7.51.0"),
    (
        "curl",
        "7.21.0",
        "CVE-2017-8817",
        HIT,
        "2017 feed: haxx:curl ≥7.21.0 (libcurl row excludes it)",
    ),
    ("curl", "7.56.2", "CVE-2017-8817", MISS, "2017 feed: ≤7.56.1"),
    ("curl", "7.87.0", "CVE-2023-23914", HIT, "2023 feed: ≥7.77.0, <7.88.0"),
    ("curl", "7.88.1", "CVE-2023-23914", MISS, "2023 feed: <7.88.0"),
    ("curl", "7.76.1", "CVE-2023-23914", MISS, "2023 feed: ≥7.77.0"),
    ("curl", "7.88.1", "CVE-2023-27535", HIT, "2023 feed: haxx:libcurl ≥7.13.0, ≤7.88.1"),
    ("curl", "8.0.0", "CVE-2023-27535", MISS, "2023 feed: haxx:libcurl ≤7.88.1"),
    # --- zlib
    ("zlib", "1.2.8", "CVE-2016-9841", HIT, "2016 feed: ≥1.2.0, <1.2.9"),
    ("zlib", "1.2.9", "CVE-2016-9841", MISS, "2016 feed: <1.2.9"),
    ("zlib", "1.2.11", "CVE-2018-25032", HIT, "2018 feed: <1.2.12"),
    ("zlib", "1.2.12", "CVE-2018-25032", MISS, "2018 feed: <1.2.12"),
    ("zlib", "1.2.3.4", "CVE-2016-9842", HIT, "override 2016: zlib:zlib ≥1.2.3.4, <1.2.9"),
    ("zlib", "1.2.3.3", "CVE-2016-9842", MISS, "override 2016: ≥1.2.3.4"),
    # --- Linux kernel (matches are inconclusive without build configuration)
    ("linux", "4.4.25", "CVE-2016-5195", HIT, "2016 feed: ≥4.2, <4.4.26"),
    ("linux", "4.4.26", "CVE-2016-5195", MISS, "2016 feed: <4.4.26; next branch starts at 4.5"),
    ("linux", "4.7.8", "CVE-2016-5195", HIT, "2016 feed: ≥4.5, <4.7.9"),
    ("linux", "4.7.9", "CVE-2016-5195", MISS, "2016 feed: <4.7.9"),
    ("linux", "4.18-rc3", "CVE-2018-5390", HIT, "2018 feed: exact cpe ...:linux_kernel:4.18:rc3"),
    ("linux", "4.18", "CVE-2018-5390", MISS, "2018 feed: <4.18 and only 4.18 rc1-rc6 exactly"),
    ("linux", "4.17.9", "CVE-2018-5390", HIT, "2018 feed: ≥4.9, <4.18"),
    ("linux", "5.11.9", "CVE-2021-22555", HIT, "2021 feed: ≥5.11, <5.12"),
    ("linux", "5.12.5", "CVE-2021-22555", MISS, "2021 feed: <5.12 for the 5.11 branch"),
    ("linux", "5.10.31", "CVE-2021-22555", MISS, "2021 feed: ≥5.5, <5.10.31"),
]


@pytest.fixture(scope="module")
def results(vulndb: Path) -> dict[tuple[str, str], dict[str, object]]:
    """All cases matched in one call (as the pipeline does), indexed by component."""
    components = [Component(name=n, version=v) for n, v in sorted({(c[0], c[1]) for c in CASES})]
    vulns, meta = match_components(components, vulndb)
    assert meta["available"]
    out: dict[tuple[str, str], dict[str, object]] = {}
    for vuln in vulns:
        name, _, version = vuln.component.partition("@")
        out.setdefault((name, version), {})[vuln.id] = vuln
    return out


def test_there_are_enough_hand_checked_cases() -> None:
    assert len(CASES) >= 40
    products = {c[0] for c in CASES}
    assert products >= {"openssl", "busybox", "dropbear", "dnsmasq", "curl", "zlib", "linux"}
    assert {c[3] for c in CASES} == {HIT, MISS}


@pytest.mark.parametrize(
    ("name", "version", "cve", "hit", "record"), CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES]
)
def test_case(
    results: dict[tuple[str, str], dict[str, object]],
    name: str,
    version: str,
    cve: str,
    hit: bool,
    record: str,
) -> None:
    found = results.get((name, version), {}).get(cve)
    if not hit:
        assert found is None, f"{name} {version} must not match {cve} ({record})"
        return
    assert found is not None, f"{name} {version} must match {cve} ({record})"
    expected = "inconclusive" if name == "linux" else "affected"
    assert found.status == expected  # type: ignore[attr-defined]


def test_fixed_versions_come_from_the_matched_range(
    results: dict[tuple[str, str], dict[str, object]],
) -> None:
    # CVE-2023-0286: branch 3.0 fixed in 3.0.8; branch 1.0.2 fixed in 1.0.2zg
    assert results[("openssl", "3.0.7")]["CVE-2023-0286"].fixed_in == ["3.0.8"]  # type: ignore[attr-defined]
    assert results[("openssl", "1.0.2zf")]["CVE-2023-0286"].fixed_in == ["1.0.2zg"]  # type: ignore[attr-defined]
    # CVE-2016-5195: the 4.2-4.4 branch is fixed in 4.4.26
    assert results[("linux", "4.4.25")]["CVE-2016-5195"].fixed_in == ["4.4.26"]  # type: ignore[attr-defined]
