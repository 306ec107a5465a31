"""The Rich summary: what the analyst sees in the terminal."""

from __future__ import annotations

import io

from rich.console import Console

from iotvet.model import Finding, Report
from iotvet.report.registry import print_table
from iotvet.report.table import MAX_ROWS, render_text


def test_summary_names_everything_a_scan_found(sample_report: Report) -> None:
    text = render_text(sample_report)
    assert sample_report.target.path in text
    assert sample_report.target.sha256 and sample_report.target.sha256 in text
    for component in sample_report.components:
        assert component.name in text
    assert "1 critical  1 high  1 medium  1 low  1 info" in text
    assert "fw.uimg/uimage/squashfs" in text
    assert "AcmeWrt 1.4.2" in text
    assert "KEV" in text
    for theme in sample_report.themes:
        assert theme.theme in text
    assert "/usr/lib/huge.bin" in text
    assert "nvd" in text  # data freshness


def test_vulnerabilities_list_kev_first_and_triaged_last(sample_report: Report) -> None:
    text = render_text(sample_report)
    order = [text.index(v) for v in ("CVE-2022-48174", "CVE-2023-28531", "CVE-2024-0727")]
    assert order == sorted(order)


def test_brackets_in_report_values_are_not_markup(sample_report: Report) -> None:
    sample_report.findings[0].title = "[bold]root[/bold] has [red]no[/] password"
    text = render_text(sample_report, width=200)
    assert "[bold]root[/bold] has [red]no[/] password" in text


def test_long_lists_are_cut_with_a_count(sample_report: Report) -> None:
    extra = MAX_ROWS["findings"] + 7
    sample_report.findings = [
        Finding(id=f"F{n}", check="c", severity="low", title=f"t{n}") for n in range(extra)
    ]
    text = render_text(sample_report)
    assert "… and 7 more findings" in text


def test_print_table_writes_colour_on_a_terminal(sample_report: Report) -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, color_system="truecolor", width=120)
    print_table(sample_report, console)
    assert "\x1b[" in buffer.getvalue()
    assert "busybox" in buffer.getvalue()


def test_empty_report_says_no_vulnerability_data_was_used(any_report: Report) -> None:
    text = render_text(any_report)
    has_feeds = bool((any_report.model_extra or {}).get("feeds"))
    assert ("none used in this scan" in text) is not has_feeds
