"""The native report document (``iotvet/report/1``), as DESIGN.md's report contract defines it."""

from __future__ import annotations

from ..model import Report
from .interface import OutputFormat
from .sanitize import safe_report


def render_json(report: Report) -> str:
    return safe_report(report).to_json(indent=2) + "\n"


FORMAT = OutputFormat(
    name="json",
    suffix=".json",
    render=render_json,
    description="iotvet report (JSON, schema iotvet/report/1)",
    media_type="application/json",
)
