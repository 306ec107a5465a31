"""Scorecard plots (matplotlib → SVG text): vulnerability debt and patch latency over releases.

The SVGs are made deterministic (fixed hash salt, no date metadata, text kept as text) so the same
store gives byte-identical reports, and they are embedded in the HTML as data URIs, which both
browsers and WeasyPrint render. Figures are made with the object API (no pyplot state).
"""

from __future__ import annotations

import base64
import io
from typing import Any

from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .metrics import SEVERITY_CLASSES, Metrics

_COLOURS = {
    "critical": "#7f1d1d",
    "high": "#dc2626",
    "medium": "#f59e0b",
    "low": "#84cc16",
    "unknown": "#9ca3af",
}
#: Typed loosely: matplotlib's stubs want literal rc keys.
_STYLE: Any = {"svg.hashsalt": "iotvet", "svg.fonttype": "none", "font.size": 9}


def _svg(fig: Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return buffer.getvalue()


def data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def debt_plot(metrics: Metrics, product: str) -> str | None:
    """Stacked bars: counted vulnerabilities per release by severity; line: public at release."""
    rows = [r for r in metrics.debt.releases if r.product == product]
    if not rows:
        return None
    with rc_context(_STYLE):
        fig = Figure(figsize=(6.4, 2.8))
        ax = fig.add_subplot()
        labels = [f"{r.version}\n{r.released}" for r in rows]
        bottom = [0] * len(rows)
        for severity in SEVERITY_CLASSES:
            heights = [r.by_severity.get(severity, 0) for r in rows]
            if any(heights):
                ax.bar(labels, heights, bottom=bottom, color=_COLOURS[severity], label=severity)
                bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
        ax.plot(
            labels,
            [r.known_at_release for r in rows],
            color="black",
            marker="o",
            label="already public at release",
        )
        ax.set_ylabel("vulnerabilities shipped")
        ax.set_title(f"{product}: vulnerability debt per release")
        ax.legend(fontsize=7, loc="upper left", frameon=False)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        return _svg(fig)


def latency_plot(metrics: Metrics, product: str) -> str | None:
    """Per fix release: days each fixed vulnerability waited; open ones at their current age."""
    exposures = [e for e in metrics.update_timeliness.exposures if e.product == product]
    releases = [r for r in metrics.debt.releases if r.product == product]
    if not exposures or not releases:
        return None
    order = {r.version: i for i, r in enumerate(releases)}
    with rc_context(_STYLE):
        fig = Figure(figsize=(6.4, 2.8))
        ax = fig.add_subplot()
        for e in exposures:
            if e.fixed_in_release is not None and e.latency_days is not None:
                x, y, marker, fill = order[e.fixed_in_release], e.latency_days, "o", True
            elif e.open_age_days is not None:
                x, y, marker, fill = len(releases), e.open_age_days, "s", False
            else:
                continue
            colour = _COLOURS.get(e.severity, _COLOURS["unknown"])
            ax.scatter(
                [x],
                [y],
                marker=marker,
                facecolors=colour if fill else "none",
                edgecolors=colour,
                s=30,
            )
            ax.annotate(e.id, (x, y), fontsize=6, xytext=(4, 2), textcoords="offset points")
        windows = metrics.policy.windows_days
        for name in ("critical", "high"):
            if name in windows:
                ax.axhline(windows[name], color=_COLOURS[name], linestyle=":", linewidth=0.8)
        ticks = [f"{r.version}\n{r.released}" for r in releases] + [f"open\n{metrics.as_of}"]
        ax.set_xticks(range(len(ticks)), ticks)
        ax.set_ylabel("days to fix (○ fixed, □ open)")
        ax.set_title(f"{product}: patch latency by fix release")
        return _svg(fig)
