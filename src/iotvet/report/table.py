"""The report as Rich console output: what an analyst reads in the terminal after a scan.

``print_table(report, console)`` prints in colour on the CLI's console; the ``table`` format
renders the same to plain text (a recording console) for ``-o FILE``. Long lists are cut at
``MAX_ROWS`` rows with a line saying how many more there are — the JSON and HTML carry them all.
Every value from the report is wrapped in ``Text`` so that brackets in paths or titles are never
read as Rich markup.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator

from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from ..model import Layer, Report
from . import summary
from .interface import OutputFormat
from .sanitize import safe_report

MAX_ROWS: dict[str, int] = {
    "components": 500,
    "findings": 100,
    "vulnerabilities": 100,
    "skipped": 50,
}
SEVERITY_STYLE: dict[str, str] = {
    "critical": "bold white on red",
    "high": "bold red",
    "medium": "yellow",
    "low": "cyan",
    "info": "dim",
    "none": "dim",
    "unknown": "magenta",
}
RESULT_STYLE: dict[str, str] = {
    "fail": "bold red",
    "pass": "green",
    "inconclusive": "yellow",
    "not-applicable": "dim",
    "needs-declaration": "magenta",
}


def _t(value: object, style: str = "") -> Text:
    return Text("" if value is None else str(value), style=style)


def _severity(word: str) -> Text:
    return _t(word, SEVERITY_STYLE.get(word, ""))


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _more(kind: str, shown: int, total: int) -> Iterator[RenderableType]:
    if total > shown:
        yield _t(f"… and {total - shown} more {kind} (all of them are in the JSON and HTML)", "dim")


def _header(report: Report) -> Panel:
    target, stats = report.target, report.stats
    lines = [
        Text.assemble(("target  ", "bold"), _t(target.path), f"  ({target.kind})"),
        Text.assemble(("sha256  ", "bold"), _t(target.sha256 or "—")),
        Text.assemble(("size    ", "bold"), summary.human_size(target.size)),
        Text.assemble(("os      ", "bold"), _t(summary.os_text(report) or "—")),
        Text.assemble(
            ("scan    ", "bold"),
            f"{stats.duration_s:.1f} s, {stats.files} files, "
            f"{summary.human_size(stats.bytes_unpacked)} unpacked, "
            f"{report.tool.name} {report.tool.version}",
        ),
    ]
    return Panel(Group(*lines), title="iotvet scan", title_align="left")


def _overview(report: Report) -> Table:
    o = summary.overview(report)
    table = Table(title="Summary", title_justify="left", box=box.SIMPLE, show_header=False)
    table.add_column(style="bold")
    table.add_column()
    sev = Text()
    for word in summary.SEVERITIES:
        sev.append(f"{o.findings[word]} {word}  ", SEVERITY_STYLE[word] if o.findings[word] else "")
    themes = Text()
    for word, count in o.themes.items():
        themes.append(f"{count} {word}  ", RESULT_STYLE[word] if count else "")
    table.add_row("components", str(o.components))
    table.add_row("findings", sev)
    vulns = f"{o.vulnerabilities} ({o.vulnerabilities_open} open, "
    table.add_row(
        "vulnerabilities",
        Text.assemble(vulns, (f"{o.kev} in KEV", "bold red" if o.kev else ""), ")"),
    )
    table.add_row("themes", themes)
    if o.conformity:
        conf = Text()
        for word, count in sorted(o.conformity.items()):
            conf.append(f"{count} {word}  ", RESULT_STYLE.get(word, ""))
        table.add_row("conformity", conf)
    table.add_row("skipped", Text(str(o.skipped), "yellow" if o.skipped else ""))
    return table


def _layer_label(layer: Layer) -> Text:
    label = Text.assemble((layer.path, "bold"), f"  {layer.format}")
    label.append(f"  @{layer.offset}  {summary.human_size(layer.size)}", "dim")
    if layer.role:
        label.append(f"  [{layer.role}]", "cyan")
    if layer.entropy is not None:
        label.append(f"  entropy {layer.entropy:.2f}", "dim")
    return label


def _layers(report: Report) -> Tree:
    tree = Tree(Text("Layers", "bold"))

    def add(node: Tree, layers: Iterable[Layer]) -> None:
        for layer in layers:
            add(node.add(_layer_label(layer)), layer.children)

    add(tree, report.layers)
    if not report.layers:
        tree.add(_t("none recorded", "dim"))
    return tree


def _components(report: Report, limit: int) -> Iterator[RenderableType]:
    table = _table(f"Components ({len(report.components)})", "name", "version", "type", "evidence")
    table.columns[1].max_width = 28  # one long distro revision must not squeeze the evidence
    ordered = sorted(report.components, key=lambda c: (c.name.lower(), c.version or ""))
    for c in ordered[:limit]:
        version = c.version or "?"
        if c.revision:
            version += f" (rev {c.revision})"
        table.add_row(
            _t(c.name or "(unnamed)", "bold"),
            _t(version, "" if c.version else "yellow"),
            _t(c.type),
            _t(summary.evidence_summary(c) or "—", "dim"),
        )
    yield table
    yield from _more("components", min(limit, len(ordered)), len(ordered))


def _findings(report: Report, limit: int) -> Iterator[RenderableType]:
    table = _table(f"Findings ({len(report.findings)})", "sev", "id", "check", "path", "title")
    ordered = summary.findings_worst_first(report.findings)
    for f in ordered[:limit]:
        table.add_row(_severity(f.severity), _t(f.id), _t(f.check), _t(f.path or ""), _t(f.title))
    yield table
    yield from _more("findings", min(limit, len(ordered)), len(ordered))


def _vulnerabilities(report: Report, limit: int) -> Iterator[RenderableType]:
    table = _table(
        f"Vulnerabilities ({len(report.vulnerabilities)})",
        "id",
        "component",
        "sev",
        "cvss",
        "kev",
        "epss",
        "status",
        "fixed in",
    )
    ordered = summary.vulnerabilities_first_to_fix(report.vulnerabilities)
    for v in ordered[:limit]:
        status = v.status + (f" ({v.justification})" if v.justification else "")
        table.add_row(
            _t(v.id, "bold"),
            _t(v.component),
            _severity(summary.vulnerability_severity(v)),
            _t(f"{v.cvss.score:.1f}" if v.cvss else ""),
            _t("KEV", "bold white on red") if v.kev else _t(""),
            _t(f"{v.epss:.3f}" if v.epss is not None else ""),
            _t(status, "dim" if v.status in ("not_affected", "fixed") else ""),
            _t(", ".join(v.fixed_in)),
        )
    yield table
    yield from _more("vulnerabilities", min(limit, len(ordered)), len(ordered))


def _themes(report: Report) -> Table:
    table = _table("Theme verdicts", "theme", "result", "reason", "findings")
    for t in summary.themes_failing_first(report):
        table.add_row(
            _t(t.theme),
            _t(t.result, RESULT_STYLE.get(t.result, "")),
            _t(t.reason),
            _t(", ".join(t.findings)),
        )
    return table


def _skipped(report: Report, limit: int) -> Iterator[RenderableType]:
    table = _table(f"Skipped ({len(report.skipped)})", "path", "reason", "stage")
    for s in report.skipped[:limit]:
        table.add_row(_t(s.path), _t(s.reason), _t(s.stage or ""))
    yield table
    yield from _more("skipped items", min(limit, len(report.skipped)), len(report.skipped))


def _freshness(report: Report) -> RenderableType:
    feeds = summary.feeds(report)
    if not feeds:
        return _t("Vulnerability data: none used in this scan", "yellow")
    table = _table("Vulnerability data", "source", "fetched at", "records", "age")
    for feed in feeds:
        age = f"{feed.age_days:.0f} d" if feed.age_days is not None else "?"
        stale = feed.age_days is None or feed.age_days > summary.STALE_AFTER_DAYS
        table.add_row(
            _t(feed.source),
            _t(feed.fetched_at or "unknown"),
            _t(feed.records if feed.records is not None else ""),
            _t(age, "yellow" if stale else "green"),
        )
    return table


def renderables(report: Report, max_rows: dict[str, int] | None = None) -> list[RenderableType]:
    """Everything ``print_table`` prints, in order."""
    limits = {**MAX_ROWS, **(max_rows or {})}
    out: list[RenderableType] = [_header(report), _overview(report), _layers(report)]
    out.extend(_components(report, limits["components"]))
    if report.findings:
        out.extend(_findings(report, limits["findings"]))
    if report.vulnerabilities:
        out.extend(_vulnerabilities(report, limits["vulnerabilities"]))
    if report.themes:
        out.append(_themes(report))
    if report.skipped:
        out.extend(_skipped(report, limits["skipped"]))
    out.append(_freshness(report))
    return out


def print_table(report: Report, console: Console, max_rows: dict[str, int] | None = None) -> None:
    """Print the report on ``console`` (the CLI's, in colour)."""
    for item in renderables(safe_report(report), max_rows):
        console.print(item)


def render_text(report: Report, width: int = 120) -> str:
    """The table as plain text, for writing to a file."""
    console = Console(
        file=io.StringIO(), record=True, width=width, color_system=None, force_terminal=False
    )
    print_table(report, console)
    return console.export_text()


FORMAT = OutputFormat(
    name="table",
    suffix=".txt",
    render=render_text,
    description="summary tables (plain text; the CLI prints them in colour)",
)
