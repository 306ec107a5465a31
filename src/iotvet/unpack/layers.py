"""Turn unblob's task results into the layer tree of the report contract.

unblob reports, per processed file, the chunks it found (``ChunkReport``: handler, offsets,
extraction errors; ``UnknownChunkReport``: gaps it could not identify). Every file that unblob
found inside an extracted chunk carries that chunk's id as ``blob_id``, which is what links a
chunk to the chunk it came out of. ``ChunkIndex`` keeps those facts; ``LayerBuilder`` turns them
into ``model.Layer`` objects once roots, kernels and relocations are known.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from unblob import math_tools
from unblob.models import TaskResult
from unblob.processing import ExtractionConfig
from unblob.report import (
    CarveDirectoryReport,
    ChunkReport,
    ErrorReport,
    ExtractCommandFailedReport,
    ExtractorDependencyNotFoundReport,
    RandomnessReport,
    Report,
    StatReport,
    UnknownChunkReport,
    UnknownError,
)

from ..model import Layer, Skipped
from .handlers import FallbackFailedReport, LayerInfoReport

STAGE = "unpack"
HIGH_ENTROPY_BITS = 7.9  # bits per byte; compressed or encrypted data sits above, code below
_ENTROPY_BLOCK = 1 << 20
_ENTROPY_MAX_BYTES = 64 << 20


@dataclass
class ChunkInfo:
    """One chunk unblob found (identified, unknown or padding) and where its output went."""

    id: str
    format: str
    start: int
    end: int
    carrier: Path  # the file the chunk was found in (host path, as during the run)
    parent: str  # id of the chunk whose extraction produced ``carrier`` ("" = the target)
    depth: int
    extract_dir: Path | None = None
    carved_path: Path | None = None  # unknown chunks: the carved bytes
    entropy: float | None = None  # bits per byte
    errors: list[str] = field(default_factory=list)
    info: dict[str, str | int | bool] = field(default_factory=dict)
    role: str | None = None


def describe_error(report: Report) -> str:
    """One line for an unblob error report."""
    if isinstance(report, ExtractorDependencyNotFoundReport):
        return "missing extractor tool: " + ", ".join(report.dependencies)
    if isinstance(report, ExtractCommandFailedReport):
        tail = report.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
        return f"{report.command.split(' ')[0]} exited {report.exit_code}: {tail[0][:160]}"
    if isinstance(report, FallbackFailedReport):
        return "; ".join(report.attempts)
    if isinstance(report, UnknownError):
        lines = str(report.exception).strip().splitlines()
        return f"extractor error: {lines[-1][:200] if lines else 'unknown'}"
    return type(report).__name__


def file_entropy(path: Path) -> float | None:
    """Mean Shannon entropy in bits per byte (size-weighted over 1 MiB blocks, capped read)."""
    total = 0.0
    count = 0
    try:
        with open(path, "rb") as handle:
            while count < _ENTROPY_MAX_BYTES:
                block = handle.read(_ENTROPY_BLOCK)
                if not block:
                    break
                total += math_tools.shannon_entropy(block) * len(block)
                count += len(block)
    except OSError:
        return None
    return round(total / count, 3) if count else None


class ChunkIndex:
    """All chunks of a run, by id, with the extraction directories resolved."""

    def __init__(self, results: list[TaskResult], config: ExtractionConfig) -> None:
        self.config = config
        self.chunks: dict[str, ChunkInfo] = {}
        self.by_extract_dir: dict[Path, str] = {}
        self.results = results
        self.result_errors: list[tuple[Path, str]] = []
        self.whole_file_entropy: dict[Path, float] = {}
        self.artifact_dirs: set[Path] = set()  # directories unblob created (extract/carve dirs)
        for result in results:
            self._add(result)

    def _add(self, result: TaskResult) -> None:
        task = result.task
        carve_dir = next(
            (r.carve_dir for r in result.reports if isinstance(r, CarveDirectoryReport)), None
        )
        if carve_dir is not None:
            self.artifact_dirs.add(carve_dir)
        for report in result.reports:
            if isinstance(report, ChunkReport):
                self._add_chunk(report, task.path, task.blob_id, task.depth, carve_dir)
            elif isinstance(report, UnknownChunkReport):
                info = ChunkInfo(report.id, "unknown", report.start_offset, report.end_offset,
                                 task.path, task.blob_id, task.depth)  # fmt: skip
                if carve_dir is not None:
                    info.carved_path = (
                        carve_dir / f"{report.start_offset}-{report.end_offset}.unknown"
                    )
                if report.randomness is not None:
                    info.entropy = round(report.randomness.shannon.mean / 100 * 8, 3)
                self.chunks[info.id] = info
            elif isinstance(report, RandomnessReport):
                self.whole_file_entropy[task.path] = round(report.shannon.mean / 100 * 8, 3)
            elif isinstance(report, ErrorReport):
                self.result_errors.append((task.path, describe_error(report)))

    def _add_chunk(
        self, report: ChunkReport, carrier: Path, parent: str, depth: int, carve_dir: Path | None
    ) -> None:
        info = ChunkInfo(report.id, report.handler_name, report.start_offset, report.end_offset,
                         carrier, parent, depth)  # fmt: skip
        if report.handler_name != "padding":
            if carve_dir is None:
                extract_dir = self.config.get_extract_dir_for(carrier)
            else:
                carved = (
                    carve_dir / f"{report.start_offset}-{report.end_offset}.{report.handler_name}"
                )
                extract_dir = self.config.get_extract_dir_for(carved)
            if extract_dir.is_dir():
                info.extract_dir = extract_dir
                self.by_extract_dir[extract_dir] = info.id
                self.artifact_dirs.add(extract_dir)
        for sub in report.extraction_reports:
            if isinstance(sub, LayerInfoReport):
                info.info.update(sub.info)
            elif isinstance(sub, ErrorReport):
                info.errors.append(describe_error(sub))
        if report.is_encrypted:
            info.errors.append("encrypted: not extracted")
            info.role = "encrypted"
        self.chunks[info.id] = info

    def owner_of(self, path: Path) -> ChunkInfo | None:
        """The chunk whose extraction directory holds ``path`` most closely."""
        for candidate in (path, *path.parents):
            chunk_id = self.by_extract_dir.get(candidate)
            if chunk_id is not None:
                return self.chunks[chunk_id]
        return None

    def file_results(self) -> Iterator[tuple[TaskResult, StatReport]]:
        for result in self.results:
            stat = next((r for r in result.reports if isinstance(r, StatReport)), None)
            if stat is not None and stat.is_file:
                yield result, stat

    def fill_missing_entropy(self) -> None:
        """Entropy for unknown chunks deeper than unblob's randomness depth (from the carve)."""
        for chunk in self.chunks.values():
            if chunk.format == "unknown" and chunk.entropy is None and chunk.carved_path:
                chunk.entropy = file_entropy(chunk.carved_path)


class LayerBuilder:
    """Build ``Layer`` objects and the matching ``skipped`` entries from a ``ChunkIndex``."""

    def __init__(
        self,
        index: ChunkIndex,
        target: Path,
        workdir: Path,
        translate: Callable[[Path], Path],
    ) -> None:
        self.index = index
        self.target = target
        self.workdir = workdir
        self.translate = translate
        self.skipped: list[Skipped] = []

    def _inner_path(self, chunk: ChunkInfo) -> str:
        if not chunk.parent:
            return self.target.name
        parent = self.index.chunks.get(chunk.parent)
        if parent is None or parent.extract_dir is None:
            return str(chunk.carrier)
        return "/" + os.path.relpath(chunk.carrier, parent.extract_dir)

    def _relative(self, path: Path) -> str:
        return os.path.relpath(self.translate(path), self.workdir)

    def _layer(self, chunk: ChunkInfo) -> Layer:
        path = self._inner_path(chunk)
        role = chunk.role
        if chunk.format == "unknown":
            high = chunk.entropy is not None and chunk.entropy >= HIGH_ENTROPY_BITS
            role = role or ("encrypted" if high else "unknown")
            entropy = "unknown" if chunk.entropy is None else f"{chunk.entropy:.2f} bits/byte"
            kind = "high-entropy (encrypted or unknown compression)" if high else "unidentified"
            self.skipped.append(Skipped(
                path=f"{path}@{chunk.start:#x}-{chunk.end:#x}",
                reason=f"{kind} data, {chunk.end - chunk.start} bytes, entropy {entropy}",
                stage=STAGE,
            ))  # fmt: skip
        elif chunk.format == "padding":
            role = "padding"
        for error in chunk.errors:
            self.skipped.append(
                Skipped(path=f"{path}@{chunk.start:#x} ({chunk.format})", reason=error, stage=STAGE)
            )
        extra: dict[str, Any] = {}
        if chunk.info:
            extra["info"] = dict(chunk.info)
        if chunk.errors:
            extra["errors"] = list(chunk.errors)
        return Layer(
            path=path,
            format=chunk.format,
            offset=chunk.start,
            size=chunk.end - chunk.start,
            entropy=chunk.entropy,
            extracted_to=self._relative(chunk.extract_dir) if chunk.extract_dir else None,
            role=role,
            **extra,
        )

    def build(self, keep: Callable[[ChunkInfo], bool]) -> list[Layer]:
        """The layer forest of the target; ``keep`` drops chunks that are noise (see caller)."""
        layers: dict[str, Layer] = {}
        children: dict[str, list[tuple[int, str]]] = {}
        for chunk in self.index.chunks.values():
            if not keep(chunk):
                continue
            layers[chunk.id] = self._layer(chunk)
            children.setdefault(chunk.parent, []).append((chunk.start, chunk.id))
        for parent_id, kids in children.items():
            if parent_id in layers:
                layers[parent_id].children = [layers[i] for _, i in sorted(kids)]
        top = [layers[i] for _, i in sorted(children.get("", []))]
        # Chunks whose parent was dropped hang on the nearest kept ancestor.
        for chunk_id, layer in layers.items():
            parent = self.index.chunks[chunk_id].parent
            if parent and parent not in layers:
                ancestor = self._kept_ancestor(parent, layers)
                (layers[ancestor].children if ancestor else top).append(layer)
        for path, error in self.index.result_errors:
            self.skipped.append(Skipped(path=self._relative(path), reason=error, stage=STAGE))
        return top

    def _kept_ancestor(self, chunk_id: str, layers: dict[str, Layer]) -> str | None:
        seen: set[str] = set()
        while chunk_id and chunk_id not in layers and chunk_id not in seen:
            seen.add(chunk_id)
            chunk = self.index.chunks.get(chunk_id)
            chunk_id = chunk.parent if chunk else ""
        return chunk_id or None
