"""The version comparator: documented embedded rules, univers agreement, order properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from univers.versions import OpensslVersion

from iotvet.vulns.versions import (
    canonical,
    compare,
    is_git_hash,
    tag_to_version,
    upper_bound,
    version_key,
)


@pytest.mark.parametrize(
    ("lower", "higher"),
    [
        ("1.1.1", "1.1.1a"),  # OpenSSL letter releases come after the plain release
        ("1.1.1v", "1.1.1w"),
        ("1.0.2z", "1.0.2za"),  # ... and continue with two letters
        ("1.0.2zg", "1.0.2zh"),
        ("1.1.1w", "3.0.0"),
        ("9.0", "9.0p1"),  # OpenSSH portable
        ("9.0p1", "9.1"),
        ("8.9p1", "9.0p1"),
        ("2022.82", "2022.83"),  # Dropbear YEAR.N
        ("2020.81", "2022.83"),
        ("2.4.9", "2.4.54"),  # numeric, not lexicographic
        ("2.89", "2.90"),  # dnsmasq
        ("2.9", "2.90"),
        ("1.35.0", "1.36.1"),
        ("3.0.8", "3.0.20"),
        ("2.90rc1", "2.90"),  # release candidates precede the release
        ("4.18-rc3", "4.18"),
        ("4.18-rc3", "4.18-rc6"),
        ("1.0-beta1", "1.0-rc1"),
        ("1.0-alpha", "1.0-beta"),
        ("2022-01-15", "2022-01-16"),  # git snapshot dates
        ("20151223", "20160101"),
        ("3.1-20221030", "3.1-20230101"),  # libedit
        ("0", "0.0.1"),
        ("7.6.q", "7.6.r"),  # tcp_wrappers letter level
    ],
)
def test_documented_order(lower: str, higher: str) -> None:
    assert compare(lower, higher) == -1
    assert compare(higher, lower) == 1


@pytest.mark.parametrize(
    ("a", "b"),
    [("1.0", "1.0.0"), ("5.10", "5.10.0"), ("v2.90", "2.90"), ("1:1.35.0", "1.35.0"), ("0", "0.0")],
)
def test_documented_equalities(a: str, b: str) -> None:
    assert compare(a, b) == 0
    assert canonical(a) == canonical(b)


def test_ecosystem_schemes_use_univers() -> None:
    # Debian: the revision and "~" ordering are dpkg's (univers DebianVersion)
    assert compare("1:1.35.0-4+deb12u1", "1:1.35.0-4+deb12u2", "deb") == -1
    assert compare("3.0.11-1~deb12u2", "3.0.11-1", "Debian:12") == -1
    assert compare("2:1.0", "1:9.9", "deb") == 1  # the epoch wins
    # an OSS-Fuzz or unknown ecosystem falls back to the embedded order
    assert compare("1.1.1w", "1.1.1", "OSS-Fuzz") == 1


# Letter-suffixed branches (0.9.7 … 1.1.1, as OpenSSL released them) and 3.x numeric releases
_OPENSSL = st.one_of(
    st.builds(
        lambda branch, letters: branch + letters,
        st.sampled_from(["0.9.7", "0.9.8", "1.0.0", "1.0.1", "1.0.2", "1.1.0", "1.1.1"]),
        st.sampled_from(["", "a", "b", "k", "w", "z", "za", "zg", "zh"]),
    ),
    st.builds(lambda minor, patch: f"3.{minor}.{patch}", st.integers(0, 3), st.integers(0, 21)),
)


@given(_OPENSSL, _OPENSSL)
@settings(max_examples=300, deadline=None)
def test_agrees_with_univers_for_openssl_versions(a: str, b: str) -> None:
    expected = (OpensslVersion(a) > OpensslVersion(b)) - (OpensslVersion(a) < OpensslVersion(b))
    assert compare(a, b) == expected


_VERSION = st.one_of(
    st.text(alphabet="0123456789.-_+~abprcw", max_size=12),
    st.from_regex(r"\A[0-9]{1,3}(\.[0-9]{1,3}){0,3}([a-z]{1,2}|-rc[0-9]|p[0-9])?\Z"),
    st.text(max_size=8),
)


@given(_VERSION, _VERSION)
@settings(max_examples=400, deadline=None)
def test_order_is_total_and_antisymmetric(a: str, b: str) -> None:
    ab, ba = compare(a, b), compare(b, a)
    assert ab in (-1, 0, 1)
    assert ab == -ba
    assert (ab == 0) == (canonical(a) == canonical(b))


@given(_VERSION, _VERSION, _VERSION)
@settings(max_examples=400, deadline=None)
def test_order_is_transitive(a: str, b: str, c: str) -> None:
    x, y, z = sorted([a, b, c], key=version_key)
    assert compare(x, y) <= 0 and compare(y, z) <= 0
    assert compare(x, z) <= 0
    if compare(x, y) == 0 and compare(y, z) == 0:
        assert compare(x, z) == 0


def test_release_tags_become_versions() -> None:
    assert tag_to_version("curl-7_88_1", ("curl",)) == "7.88.1"
    assert tag_to_version("OpenSSL_1_1_1w", ("openssl",)) == "1.1.1w"
    assert tag_to_version("v2.90", ("dnsmasq",)) == "2.90"
    assert tag_to_version("release-1.10.0rc1", ("unbound",)) == "1.10.0rc1"
    assert tag_to_version("libpcap-1.10.4", ("libpcap",)) == "1.10.4"
    assert tag_to_version("tiny-curl-7_72_0", ("curl",)) is None  # another product's tag


def test_cve5_upper_bounds() -> None:
    assert upper_bound("*") is None
    assert upper_bound("4.19.*") == "4.20"
    assert upper_bound("2.*") == "3"
    assert upper_bound("3.0.8") == "3.0.8"


def test_git_hash_detection() -> None:
    assert is_git_hash("6670e1524477")
    assert is_git_hash("ab6eb2ec0744074004980d0f98677e52b215941f")
    assert not is_git_hash("20151223")
    assert not is_git_hash("2.90")
