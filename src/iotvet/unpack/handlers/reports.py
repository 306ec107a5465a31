"""Report types our handlers add to unblob's chunk reports (they travel back with the results)."""

from __future__ import annotations

from unblob.report import ErrorReport, Report, Severity


class LayerInfoReport(Report):
    """Facts about a layer that unblob's ChunkReport has no field for (header fields, codec …)."""

    info: dict[str, str | int | bool]


class FallbackFailedReport(ErrorReport):
    """None of the extractors of a chain could read the chunk; ``attempts`` says what was tried."""

    severity: Severity = Severity.ERROR
    attempts: list[str]
