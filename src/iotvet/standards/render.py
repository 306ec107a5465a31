"""Jinja2 templates and WeasyPrint PDFs for the conformity and label documents.

One environment per template package, with HTML/SVG autoescaping on, so that text from a
declaration file or a firmware image can never inject markup into a document.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2


@cache
def environment(package: str) -> jinja2.Environment:
    """The template environment of ``package`` (its ``templates/`` folder)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "svg", "j2"), default_for_string=True
        ),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def render(package: str, template: str, **context: Any) -> str:
    return environment(package).get_template(template).render(**context)


def write_pdf(html: str, path: Path) -> Path:
    """Render ``html`` (self-contained: inline CSS and SVG) to a PDF file."""
    from weasyprint import HTML  # imported late: it is the slowest import of the package

    HTML(string=html, base_url=str(path.parent)).write_pdf(str(path))
    return path
