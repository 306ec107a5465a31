"""The native report document (``iotvet/report/1``), as DESIGN.md's report contract defines it."""

from __future__ import annotations

from pydantic_core import PydanticSerializationError

from ..model import Report
from .interface import OutputFormat
from .sanitize import safe_report


def render_json(report: Report) -> str:
    """JSON escapes control characters itself; only text UTF-8 cannot encode (a surrogate-escaped
    file name) needs ``safe_report``, so the common case skips that walk over the report."""
    try:
        text = report.to_json(indent=2)
    except PydanticSerializationError:
        text = safe_report(report).to_json(indent=2)
    return text + "\n"


FORMAT = OutputFormat(
    name="json",
    suffix=".json",
    render=render_json,
    description="iotvet report (JSON, schema iotvet/report/1)",
    media_type="application/json",
)
