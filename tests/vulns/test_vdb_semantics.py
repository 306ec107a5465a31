"""CPE parsing, NVD configuration semantics and the CVE 5 range algorithm, on hand-made data."""

from __future__ import annotations

from iotvet.vulns import cpe
from iotvet.vulns.nvdconfig import Inventory, evaluate, version_matches
from iotvet.vulns.ranges import evaluate as range_status
from iotvet.vulns.records import Affected, CpeMatch, Node, Range
from iotvet.vulns.sources.csaf import vers_ranges


def test_cpe_parse_unescapes_and_keeps_logical_values() -> None:
    parsed = cpe.parse(r"cpe:2.3:o:tenda:w9_firmware:1.0.0.7\(4456\)_cn:*:*:*:*:*:*:*")
    assert parsed is not None
    assert (parsed.part, parsed.vendor, parsed.product) == ("o", "tenda", "w9_firmware")
    assert parsed.version == "1.0.0.7(4456)_cn"
    assert parsed.update == "*"
    na = cpe.parse("cpe:2.3:h:tenda:w9:-:*:*:*:*:*:*:*")
    assert na is not None and na.version == "-"


def test_cpe22_uri_is_read() -> None:
    parsed = cpe.parse("cpe:/a:openssl:openssl:1.0.2k")
    assert parsed is not None
    assert (parsed.vendor, parsed.product, parsed.version) == ("openssl", "openssl", "1.0.2k")
    assert cpe.parse("not a cpe") is None


def test_cpe_value_matching() -> None:
    assert cpe.value_matches("*", "anything")
    assert cpe.value_matches("-", "-") and not cpe.value_matches("-", "1.0")
    assert cpe.value_matches("-", "1.0", na_is_any=True)
    assert cpe.value_matches("2.6.*", "2.6.32") and not cpe.value_matches("2.6.*", "3.0")
    assert cpe.value_matches(r"1.0\*", "1.0*") and not cpe.value_matches(r"1.0\*", "1.0x")


def test_version_part_of_a_criterion() -> None:
    none = (None, None, None, None)
    assert version_matches("1.2.3", "*", "*", none)
    assert not version_matches("1.2.3", "-", "*", none)  # NA: a versioned component is not NA
    assert version_matches("1.2.3", "-", "*", none, platform=True)  # platform: any version
    assert version_matches("7.4p1", "7.4", "p1", none)  # update appended
    assert not version_matches("4.18", "4.18", "rc3", none)  # a release candidate is not 4.18
    assert version_matches("4.18-rc3", "4.18", "rc3", none)
    assert version_matches("1.0.2k", "*", "*", ("1.0.2", None, None, "1.0.2l"))
    assert not version_matches("1.0.2l", "*", "*", ("1.0.2", None, None, "1.0.2l"))
    assert version_matches("1.0.2l", "*", "*", ("1.0.2", None, "1.0.2l", None))
    assert not version_matches("1.0.2", "*", "*", (None, "1.0.2", None, "1.1.0"))
    assert version_matches("2.6.32", "2.6.*", "*", none)  # a pattern in the criteria version
    assert not version_matches("3.0.1", "2.6.*", "*", none)


APP = CpeMatch("cpe:2.3:a:acme:widget:*:*:*:*:*:*:*:*", True, end_excluding="2.0")
ON_LINUX = CpeMatch("cpe:2.3:o:linux:linux_kernel:-:*:*:*:*:*:*:*", False)
ON_ROUTER = CpeMatch("cpe:2.3:h:acme:router:-:*:*:*:*:*:*:*", False)
RUNNING_ON_LINUX = Node("AND", children=[Node(matches=[APP]), Node(matches=[ON_LINUX])])
PAIRS = [("acme", "widget")]


def test_running_on_platform_present_holds() -> None:
    inventory = Inventory()
    inventory.add([("o", "linux", "linux_kernel")], "5.10.1")
    result = evaluate(RUNNING_ON_LINUX, PAIRS, "1.5", inventory)
    assert result.result is True and result.unknown == []


def test_running_on_another_os_does_not_hold() -> None:
    inventory = Inventory()
    inventory.add([("o", "microsoft", "windows")], "10")
    assert evaluate(RUNNING_ON_LINUX, PAIRS, "1.5", inventory).result is False


def test_running_on_unknown_platform_is_unknown_and_recorded() -> None:
    config = Node("AND", children=[Node(matches=[APP]), Node(matches=[ON_ROUTER])])
    result = evaluate(config, PAIRS, "1.5", Inventory())
    assert result.result is None
    assert result.unknown == [ON_ROUTER.criteria]


def test_version_outside_range_fails_the_and() -> None:
    inventory = Inventory()
    inventory.add([("o", "linux", "linux_kernel")], "5.10.1")
    assert evaluate(RUNNING_ON_LINUX, PAIRS, "2.0", inventory).result is False


def test_negated_node() -> None:
    # "widget < 2.0 AND NOT running on linux"
    config = Node("AND", children=[Node(matches=[APP]), Node(negate=True, matches=[ON_LINUX])])
    linux = Inventory()
    linux.add([("o", "linux", "linux_kernel")], "5.10.1")
    assert evaluate(config, PAIRS, "1.5", linux).result is False
    other = Inventory()
    other.add([("o", "freebsd", "freebsd")], "13.0")
    assert evaluate(config, PAIRS, "1.5", other).result is True


def _entry(*ranges: Range, default: str = "unknown") -> Affected:
    return Affected(vendor="x", product="y", default_status=default, ranges=list(ranges))  # type: ignore[arg-type]


def test_cve5_first_matching_range_decides() -> None:
    # OpenSSL-style per-branch ranges (CVE-2023-0286 record shape)
    entry = _entry(
        Range("affected", "3.0.0", less_than="3.0.8", version_type="semver"),
        Range("affected", "1.1.1", less_than="1.1.1t", version_type="custom"),
        default="unaffected",
    )
    assert range_status(entry, "3.0.7").status == "affected"
    assert range_status(entry, "3.0.7").fixed == ["3.0.8"]
    assert range_status(entry, "3.0.8").status == "unaffected"
    assert range_status(entry, "1.1.1s").status == "affected"
    assert range_status(entry, "1.1.1t").status == "unaffected"
    assert range_status(entry, "1.0.2u").status == "unaffected"


def test_cve5_kernel_style_unaffected_series() -> None:
    # Linux CNA shape (CVE-2021-47010): affected since 4.15, fixed per stable series
    entry = _entry(
        Range("affected", "4.15"),
        Range("unaffected", "0", less_than="4.15", version_type="custom"),
        Range("unaffected", "4.19.191", less_than_or_equal="4.19.*", version_type="custom"),
        Range("unaffected", "5.10.37", less_than_or_equal="5.10.*", version_type="custom"),
        Range("unaffected", "5.13", less_than_or_equal="*", version_type="original_commit_for_fix"),
        default="affected",
    )
    assert range_status(entry, "4.14.200").status == "unaffected"
    verdict = range_status(entry, "4.19.100")
    assert verdict.status == "affected" and verdict.fixed == ["4.19.191"]
    assert range_status(entry, "4.19.191").status == "unaffected"
    assert range_status(entry, "4.19.250").status == "unaffected"
    assert range_status(entry, "5.10.36").status == "affected"
    assert range_status(entry, "6.1.0").status == "unaffected"


def test_cve5_changes_and_git_ranges() -> None:
    entry = _entry(
        Range(
            "affected",
            "2.0.0",
            less_than="2.*",
            version_type="semver",
            changes=[("2.5.2", "unaffected"), ("2.6.0", "affected"), ("2.6.3", "unaffected")],
        ),
    )
    assert range_status(entry, "2.5.1").status == "affected"
    assert range_status(entry, "2.5.9").status == "unaffected"
    assert range_status(entry, "2.6.1").status == "affected"
    assert range_status(entry, "2.9.0").status == "unaffected"
    git = _entry(
        Range("affected", "6670e1524477", less_than="992de06308d9", version_type="git"),
        default="unaffected",
    )
    git.git_only = True
    assert range_status(git, "5.10.0").status == "unknown"  # not "unaffected": not evaluable


def test_cve5_free_text_versions_stay_unknown() -> None:
    entry = _entry(Range("affected", "Fixed in OpenSSL 1.1.1j (Affected 1.1.1-1.1.1i)"))
    assert range_status(entry, "1.1.1i").status == "unknown"


def test_osv_release_tags() -> None:
    entry = Affected(
        ecosystem="OSS-Fuzz",
        package="curl",
        default_status="unaffected",
        versions=["curl-7_57_0", "curl-7_88_1"],
        version_tags=True,
    )
    assert range_status(entry, "7.88.1", names=("curl",)).status == "affected"
    assert range_status(entry, "7.88.0", names=("curl",)).status == "unaffected"


def test_csaf_vers_expressions() -> None:
    ranges = vers_ranges("vers:generic/>1.0|<1.4.2", "affected")
    entry = _entry(*ranges, default="unaffected")
    assert range_status(entry, "1.0").status == "unknown"  # excluded lower bound
    assert range_status(entry, "1.2").status == "affected"
    assert range_status(entry, "1.4.2").status == "unaffected"
