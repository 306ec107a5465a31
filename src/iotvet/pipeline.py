"""Run the stages for one target: unpack → inventory → checks → vulnerabilities → theme verdicts.

Every stage runs under a timer and a guard: an error in one stage is recorded in ``skipped`` with
the stage's name and the partial results of every other stage are kept, because a report that says
what it could not do is worth more than a traceback.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import resource
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from . import __version__
from .context import ScanContext
from .errors import InputError
from .limits import Limits
from .model import Finding, Report, Skipped, Target, Tool
from .unpack.interface import UnpackResult

Progress = Callable[[str], None]


@dataclass
class ScanOptions:
    """How one scan runs. ``workdir`` None means a fresh temporary directory."""

    workdir: Path | None = None
    keep: bool = False
    limits: Limits = field(default_factory=Limits)
    vulndb: Path | None = None
    vulns: bool = True
    checks: bool = True
    parallel: bool = (os.cpu_count() or 1) > 1  # checks beside inventory in a forked worker


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def peak_rss_mb() -> float:
    """Peak resident set size of this process and its finished children (unblob's workers), MiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def describe_target(path: Path) -> Target:
    """Check the target is something we can read and say what kind it is (raises InputError)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError(path, "no such file or directory") from None
    except OSError as exc:
        raise InputError(path, f"cannot be accessed ({exc.strerror})") from None
    if path.is_dir():
        return Target(path=str(path), kind="directory")
    if not path.is_file():
        raise InputError(path, "not a regular file or directory")
    try:
        with open(path, "rb") as handle:
            head = handle.read(4)
    except OSError as exc:
        raise InputError(path, f"cannot be read ({exc.strerror})") from exc
    size = info.st_size
    if size == 0:
        raise InputError(path, "is empty (0 bytes): nothing to scan")
    kind: Literal["binary", "image"] = "binary" if head == b"\x7fELF" else "image"
    return Target(path=str(path), sha256=_sha256(path), size=size, kind=kind)


class _Stages:
    """Times each stage and turns a stage's crash into a ``skipped`` entry."""

    def __init__(self, report: Report, progress: Progress | None) -> None:
        self.report = report
        self.progress = progress

    @contextmanager
    def run(self, name: str) -> Iterator[None]:
        if self.progress:
            self.progress(name)
        start = time.perf_counter()
        try:
            yield
        except InputError:
            raise
        except Exception as exc:
            self.report.skipped.append(
                Skipped(path=self.report.target.path, reason=f"{name} failed: {exc!r}", stage=name)
            )
        finally:
            self.report.stats.stages[name] = round(time.perf_counter() - start, 4)


def scan(
    target: Path, options: ScanOptions | None = None, progress: Progress | None = None
) -> Report:
    """Scan one firmware image, extracted directory or single binary and return the report."""
    from .checks.themes import theme_verdicts
    from .inventory import run_inventory
    from .unpack import unpack

    options = options or ScanOptions()
    described = describe_target(target)
    report = Report(
        tool=Tool(version=__version__),
        target=described,
        scanned_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    stages = _Stages(report, progress)
    started = time.perf_counter()

    base = options.workdir
    if base is not None:
        base.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="iotvet-", dir=base))
    unpacked = UnpackResult()
    try:
        with stages.run("unpack"):
            unpacked = unpack(target, workdir, options.limits)
            report.layers = unpacked.layers
            report.skipped.extend(unpacked.skipped)
            report.notes.extend(unpacked.notes)
            report.stats.sandboxed = unpacked.sandboxed
            report.stats.bytes_unpacked = unpacked.bytes_unpacked
            _require_content(target, described, unpacked)
        ctx = ScanContext(roots=unpacked.roots, limits=options.limits, skipped=report.skipped)
        report.rootfs = [
            {
                "path": r.label,
                "kind": r.kind,
                **({"extracted_to": str(r.root)} if options.keep else {}),
            }
            for r in unpacked.roots
        ]

        report.stats.files = sum(len(r.entries) for r in unpacked.roots)  # walk once, pre-fork

        checks = _CheckRun(ctx, options.parallel) if options.checks else None
        with stages.run("inventory"):
            report.components, report.os = run_inventory(ctx, unpacked.kernel_images)

        if checks is not None:
            with stages.run("checks"):
                report.findings = checks.result()

        if options.vulns:
            with stages.run("vulns"):
                from .vulns import match_components

                report.vulnerabilities, report.data_sources = match_components(
                    report.components, options.vulndb, roots=ctx.roots
                )

        if options.checks:
            with stages.run("themes"):
                report.themes = theme_verdicts(report.findings, ctx.families_ran)
    finally:
        if options.keep:
            report.stats.workdir = str(workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    report.stats.stages.update(ctx.timings)
    report.stats.duration_s = round(time.perf_counter() - started, 4)
    report.stats.peak_rss_mb = round(peak_rss_mb(), 1)
    return report


_CheckResult = tuple[list[Finding], list[Skipped], dict[str, float], list[str]]


def _checks_worker(ctx: ScanContext) -> _CheckResult:
    from .checks.pipeline import run_checks

    already = len(ctx.skipped)
    findings = run_checks(ctx)
    return findings, ctx.skipped[already:], ctx.timings, ctx.families_ran


class _CheckRun:
    """The checks stage, started beside the inventory when a second core is there.

    Checks read only the unpacked trees, never the inventory's results, so on a 2-core machine
    they run in a forked worker while the parent identifies components: the scan then costs
    unpack + max(inventory, checks) instead of the sum. Without a spare core (or when forking is
    not possible) they run in-process when their result is asked for.
    """

    def __init__(self, ctx: ScanContext, parallel: bool) -> None:
        self.ctx = ctx
        self.future: Future[_CheckResult] | None = None
        self.pool: ProcessPoolExecutor | None = None
        if parallel and "fork" in multiprocessing.get_all_start_methods():
            self.pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
            self.future = self.pool.submit(_checks_worker, ctx)

    def result(self) -> list[Finding]:
        if self.future is None:
            return _checks_worker(self.ctx)[0]
        try:
            findings, skipped, timings, families = self.future.result()
        finally:
            assert self.pool is not None
            self.pool.shutdown()
        self.ctx.skipped.extend(skipped)
        for name, seconds in timings.items():
            self.ctx.timed(name, seconds)
        self.ctx.families_ran = families
        return findings


def _require_content(target: Path, described: Target, unpacked: UnpackResult) -> None:
    """An image in which nothing at all was recognised is an input error, not an empty report."""
    if described.kind != "image" or unpacked.recognised:
        return
    entropy = next((layer.entropy for layer in unpacked.layers if layer.entropy is not None), None)
    hint = ""
    if entropy is not None:
        hint = f" (entropy {entropy:.2f} bits/byte"
        hint += ": encrypted or compressed?)" if entropy > 7.5 else ")"
    raise InputError(
        target,
        f"unknown format: no file system, archive or executable recognised{hint}",
        "pass a firmware image, an extracted root file system directory, or an ELF binary",
    )
