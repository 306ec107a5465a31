"""The HTML page: self-contained, escaped, complete, with working in-page links."""

from __future__ import annotations

from html.parser import HTMLParser

from iotvet.model import Report
from iotvet.report.html import render_html


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.ids: list[str] = []
        self.links: list[str] = []
        self.external: list[str] = []
        self.badges: list[str] = []
        self._in_badge = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = dict(attrs)
        if values.get("id"):
            self.ids.append(values["id"] or "")
        for key in ("href", "src"):
            value = values.get(key) or ""
            if value.startswith("#"):
                self.links.append(value[1:])
            elif value:
                self.external.append(value)
        self._in_badge = "badge" in (values.get("class") or "")

    def handle_data(self, data: str) -> None:
        if self._in_badge:
            self.badges.append(data.strip())
            self._in_badge = False


def _page(report: Report) -> tuple[str, _Page]:
    html = render_html(report)
    page = _Page()
    page.feed(html)
    page.close()
    return html, page


def test_page_is_self_contained(any_report: Report) -> None:
    _, page = _page(any_report)
    assert page.external == []
    assert "script" not in page.tags
    assert "link" not in page.tags
    assert "style" in page.tags


def test_every_in_page_link_has_a_target(any_report: Report) -> None:
    _, page = _page(any_report)
    assert set(page.links) <= set(page.ids)


def test_report_values_are_escaped(sample_report: Report) -> None:
    html, page = _page(sample_report)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "script" not in page.tags


def test_header_components_and_evidence(sample_report: Report) -> None:
    html, _ = _page(sample_report)
    assert sample_report.target.sha256 and sample_report.target.sha256 in html
    assert "12.5 s" in html
    assert "AcmeWrt 1.4.2" in html
    for component in sample_report.components:
        assert component.name in html
        for evidence in component.evidence:
            assert evidence.path in html
    assert "fw.uimg/uimage/squashfs" in html


def test_findings_vulnerabilities_and_verdicts_are_badged(sample_report: Report) -> None:
    _, page = _page(sample_report)
    for finding in sample_report.findings:
        assert f"finding-{finding.id}" in page.ids
        assert finding.severity in page.badges
    assert "KEV" in page.badges
    assert {"fail", "pass", "inconclusive"} <= set(page.badges)


def test_stale_data_is_flagged_and_missing_data_is_said(sample_report: Report) -> None:
    html, page = _page(sample_report)
    stale = [b for b in page.badges if b.endswith("days: stale")]
    assert len(stale) == 1  # NVD from 2020 is stale, KEV from 20 hours ago is not
    assert "No vulnerability data was used" not in html
    assert sample_report.model_extra is not None
    sample_report.model_extra.pop("feeds")
    html, _ = _page(sample_report)
    assert "No vulnerability data was used in this scan" in html
