"""Supplier report outputs: JSON (the model), HTML (Jinja2, SVG plots), PDF (WeasyPrint)."""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, PackageLoader, select_autoescape

from .plots import data_uri, debt_plot, latency_plot
from .scorecard import SupplierReport

FORMATS = ("json", "html", "pdf")


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("iotvet.suppliers", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def plots(report: SupplierReport) -> dict[str, dict[str, str]]:
    """Data-URI plots per product: ``{"product": {"debt": uri, "latency": uri}}``."""
    out: dict[str, dict[str, str]] = {}
    for product in report.products:
        if product.metrics is None:
            continue
        entry: dict[str, str] = {}
        debt = debt_plot(product.metrics, product.name)
        if debt:
            entry["debt"] = data_uri(debt)
        latency = latency_plot(product.metrics, product.name)
        if latency:
            entry["latency"] = data_uri(latency)
        out[product.name] = entry
    return out


def render_html(report: SupplierReport) -> str:
    template = _environment().get_template("report.html.j2")
    return template.render(report=report, plots=plots(report))


def render_pdf(report: SupplierReport) -> bytes:
    from weasyprint import HTML  # heavy import, only for PDF

    pdf: bytes = HTML(string=render_html(report)).write_pdf()
    return pdf


def render(report: SupplierReport, fmt: str) -> str | bytes:
    if fmt == "json":
        return report.to_json()
    if fmt == "html":
        return render_html(report)
    if fmt == "pdf":
        return render_pdf(report)
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
