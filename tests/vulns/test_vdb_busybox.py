"""BusyBox applet table reading and the CVE → applet data file."""

from __future__ import annotations

import os
import re

from corpus import CORPUS, truth_of
from iotvet.vulns.busybox import applet_verdict, busybox_applets, rules


def test_applet_table_found_among_other_strings() -> None:
    applets = ["[", "[[", "ash", "cat", "ls", "netstat", "tar", "wget"]
    noise = os.urandom(5000)
    other_strings = b"\x00".join([b"usage", b"error", b"abc", b"zz"]) + b"\x00"  # not sorted
    short_sorted = b"\x00".join([b"a", b"b", b"c", b"d"]) + b"\x00"  # sorted, but shorter
    blob = noise + other_strings + short_sorted + b"\x00".join(a.encode() for a in applets)
    blob += b"\x00\x00" + noise
    assert busybox_applets(blob) == applets


def test_no_table_in_random_or_empty_data() -> None:
    assert busybox_applets(b"") == []
    assert busybox_applets(b"\x00" * 100 + b"hello\x00world\x00") == []


def test_data_file_is_well_formed() -> None:
    table = rules()
    assert len(table) >= 30
    # every applet name is one BusyBox could contain (shape of the applet table's names)
    for cve, rule in table.items():
        assert re.fullmatch(r"CVE-\d{4}-\d{4,}", cve)
        assert rule.applets and rule.source
        assert all(re.fullmatch(r"[a-z0-9\[\]._-]+", a) for a in rule.applets), cve


def test_verdicts_follow_the_binary() -> None:
    truth = truth_of(CORPUS / "dunmore_ds2_rootfs_5.1.3.ext4.xz")["busybox_applets"]["applets"]
    present, _reason = applet_verdict("CVE-2018-1000517", truth) or (None, "")
    assert present is ("wget" in truth)
    absent, why = applet_verdict("CVE-2018-1000517", ["ash", "ls"]) or (None, "")
    assert absent is False and "wget" in why
    unknown, note = applet_verdict("CVE-2018-1000517", None) or (None, "")
    assert unknown is True and "unknown" in note
    assert applet_verdict("CVE-1999-0001", ["ash"]) is None  # not a BusyBox CVE in the data
