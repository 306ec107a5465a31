"""The printable label, in iotvet's own design (never the official Cyber Trust Mark artwork).

An 80 × 45 mm SVG: product identity, the criteria it meets, the support end date and a QR code to
the registry record; the PDF is the same SVG rendered by WeasyPrint. Values that could be long are
shortened so the layout cannot overflow (SVG text does not wrap).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..standards.declarations import Declarations
from ..standards.render import render, write_pdf
from .eligibility import Eligibility
from .qr import symbol


def _fit(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def render_label_svg(
    declarations: Declarations, label: Eligibility, url: str, issued: dt.date | None = None
) -> str:
    if not label.eligible:
        raise ValueError("the product is not label-eligible; no label is drawn")
    p = declarations.product
    model = " · ".join(
        x
        for x in (
            f"Model {p.model}" if p.model else "",
            f"Firmware {p.firmware_version}" if p.firmware_version else "",
        )
        if x
    )
    end = declarations.support_period.end_date
    return render(
        "iotvet.label",
        "label.svg.j2",
        product=_fit(p.name, 30),
        model_line=_fit(model, 44),
        manufacturer=_fit(p.manufacturer or "", 44),
        criteria=f"Meets all {label.criteria} NIST IR 8425 criteria",
        support=f"Security updates until {end.isoformat()}"
        if end
        else "Support period: see record",
        assessed=f"Assessed {(issued or dt.date.today()).isoformat()} with iotvet",
        qr=symbol(url).place(560, 95, 210),
        url=_fit(url, 40),
    )


def write_label(
    declarations: Declarations, label: Eligibility, url: str, directory: Path
) -> list[Path]:
    svg = render_label_svg(declarations, label, url)
    svg_path = directory / "label.svg"
    svg_path.write_text(svg, encoding="utf-8")
    html = render("iotvet.label", "label.html.j2", svg=svg, product=declarations.product.name)
    return [svg_path, write_pdf(html, directory / "label.pdf")]
