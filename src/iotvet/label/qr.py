"""QR code pointing at the product's registry record, made with segno."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import segno

_PATH_D = re.compile(r'\sd="([^"]+)"')


@dataclass
class QrSymbol:
    """A QR symbol as SVG path data in module units, for drawing inside another SVG."""

    url: str
    path: str  # stroke path (segno's "qrline" form: horizontal runs at y + 0.5)
    modules: int  # width = height in modules, without quiet zone

    def place(self, x: float, y: float, size: float, quiet: int = 2) -> str:
        """SVG markup drawing the symbol at (x, y), ``size`` wide including the quiet zone."""
        scale = size / (self.modules + 2 * quiet)
        return (
            f'<rect x="{x}" y="{y}" width="{size}" height="{size}" fill="#fff"/>'
            f'<path transform="translate({x + quiet * scale:.3f} {y + quiet * scale:.3f}) '
            f'scale({scale:.4f})" stroke="#000" stroke-width="1" fill="none" d="{self.path}"/>'
        )


def make_qr(url: str) -> segno.QRCode:
    # Error correction M (15 %) survives print wear and small labels.
    return segno.make(url, error="m", micro=False)


def symbol(url: str) -> QrSymbol:
    qr = make_qr(url)
    svg = qr.svg_inline(scale=1, border=0)
    match = _PATH_D.search(svg)
    if match is None:  # segno always draws a path; anything else is a library change
        raise RuntimeError("segno returned an SVG without a path")
    width, _ = qr.symbol_size(scale=1, border=0)
    return QrSymbol(url=url, path=match.group(1), modules=int(width))


def write_qr(url: str, directory: Path) -> list[Path]:
    """qr.svg and qr.png (for packaging artwork) of ``url``."""
    qr = make_qr(url)
    svg_path, png_path = directory / "qr.svg", directory / "qr.png"
    qr.save(str(svg_path), kind="svg", scale=8, border=4)
    qr.save(str(png_path), kind="png", scale=8, border=4)
    return [svg_path, png_path]
