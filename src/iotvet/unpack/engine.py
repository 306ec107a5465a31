"""Run unblob as a library: our handler set, its sandbox, the scan's limits, progress, triage.

``unblob.processing.process_file`` does the work. Around it:

* ``ExtractionConfig`` gets the handler set of ``handlers.build_handlers`` (SquashFS without
  sasquatch, uImage), ``max_depth`` from the limits, entropy for every unknown chunk, and one
  worker per CPU the process may use;
* the run happens in unblob's Landlock sandbox (only the work directory is writable) when the
  kernel allows it; when it does not, the run goes on unsandboxed and ``notes`` says so;
* a collector (unblob's progress-reporter hook, called in this process for every finished task)
  keeps every task result, spots root file systems as soon as their directory is listed, prunes
  what unblob would scan inside them (see ``triage``), reports depth-limited subtrees and feeds
  the caller's progress callback;
* the ``Watchdog`` enforces bytes, files and wall time, stopping the workers when one is spent.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import structlog
from unblob.models import Task, TaskResult
from unblob.processing import ExtractionConfig, process_file
from unblob.report import StatReport
from unblob.sandbox import AccessFS, Sandbox, SandboxError, restrict_access

from ..limits import Limits
from ..model import Skipped
from .handlers import build_handlers
from .roots import is_overlay, looks_like_root
from .triage import is_container_candidate
from .watchdog import Watchdog

STAGE = "unpack"
_PROGRESS_EVERY_S = 0.5
_LOGGER = "unblob"

Progress = Callable[[str], None]


@dataclass
class EngineRun:
    """What one unblob run produced, before it is turned into layers and roots."""

    config: ExtractionConfig
    results: list[TaskResult] = field(default_factory=list)
    roots: list[Path] = field(default_factory=list)  # root-shaped directories, in found order
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    aborted: str | None = None
    sandboxed: bool = False
    pruned_files: int = 0
    duration_s: float = 0.0


def cpu_count() -> int:
    """CPUs this process may run on (cgroup/affinity aware), at least one."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


class _Collector:
    """unblob's ProgressReporter protocol; unblob calls ``update`` in this process per task."""

    def __init__(self, observe: Callable[[TaskResult], None]) -> None:
        self._observe = observe

    def __enter__(self) -> _Collector:
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def update(self, result: TaskResult) -> None:
        self._observe(result)


class _Observer:
    """Per-task bookkeeping in the main process; cheap by design (a few stats per directory)."""

    def __init__(self, run: EngineRun, workdir: Path, triage: bool, progress: Progress | None):
        self.run = run
        self.workdir = workdir
        self.triage = triage
        self.progress = progress
        self.max_depth = run.config.max_depth
        self.extract_root = run.config.extract_root
        self._roots: set[Path] = set()
        self._artifacts: set[Path] = set()
        self._last_progress = 0.0

    def _inside_root(self, path: Path) -> bool:
        """True when ``path`` is in a known root's own tree (not in an unblob artifact below it)."""
        for candidate in (path, *path.parents):
            if candidate in self._roots:
                return True
            if candidate in self._artifacts or candidate == self.extract_root:
                return False
        return False

    def _relative(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.workdir))
        except ValueError:
            return str(path)

    def __call__(self, result: TaskResult) -> None:
        self.run.results.append(result)
        task = result.task
        stat = next((r for r in result.reports if isinstance(r, StatReport)), None)
        is_dir = bool(stat and stat.is_dir)
        at_limit = task.depth >= self.max_depth and not task.is_multi_file
        if at_limit and stat is not None and (is_dir or (stat.is_file and stat.size > 0)):
            self.run.skipped.append(
                Skipped(
                    path=self._relative(task.path),
                    reason=f"max nesting depth {self.max_depth} reached: not unpacked further",
                    stage=STAGE,
                )
            )
        for sub in result.subtasks:
            if not is_dir or sub.blob_id != task.blob_id:
                self._artifacts.add(sub.path)
        if is_dir and not task.is_multi_file:
            self._directory(result)
        now = time.monotonic()
        if self.progress and now - self._last_progress >= _PROGRESS_EVERY_S:
            self._last_progress = now
            self.progress(f"unpacking: {len(self.run.results)} items, {self._relative(task.path)}")

    def _directory(self, result: TaskResult) -> None:
        path = result.task.path
        inside = self._inside_root(path)
        if not inside and (looks_like_root(path) or is_overlay(path)):
            self._roots.add(path)
            self.run.roots.append(path)
            inside = True
        if not (inside and self.triage):
            return
        kept: list[Task] = []
        for sub in result.subtasks:
            own_entry = sub.blob_id == result.task.blob_id
            if (
                not own_entry
                or (sub.path.is_dir() and not sub.path.is_symlink())
                or is_container_candidate(sub.path)
            ):
                kept.append(sub)
            else:
                self.run.pruned_files += 1
        result.subtasks = kept


@contextlib.contextmanager
def _unblob_logging(log_path: Path) -> Iterator[None]:
    """Route unblob's structlog output to ``log_path`` instead of the terminal.

    structlog is process-global; it is configured (to hand records to the stdlib ``logging``
    tree, warnings and up) only when the host application has not configured it itself.
    """
    if not structlog.is_configured():
        structlog.configure(
            logger_factory=structlog.stdlib.LoggerFactory(),
            wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
            processors=[
                structlog.stdlib.add_log_level,
                structlog.processors.format_exc_info,
                structlog.dev.ConsoleRenderer(colors=False),
            ],
        )
    logger = logging.getLogger(_LOGGER)
    handler = logging.FileHandler(log_path, encoding="utf-8")
    handler.setLevel(logging.WARNING)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        handler.close()


@contextlib.contextmanager
def _tool_environment(tmp_dir: Path) -> Iterator[None]:
    """Extractor tools installed beside this interpreter (jefferson, ubireader) must be on PATH,
    and their temporary files must land in the work directory (the sandbox allows nothing else).
    """
    saved = {key: os.environ.get(key) for key in ("PATH", "TMPDIR")}
    bin_dir = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", os.defpath)
    if bin_dir not in path.split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + path
    os.environ["TMPDIR"] = str(tmp_dir)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _run_in_sandbox(
    passthrough: list[AccessFS], work: Callable[[], None], use_sandbox: bool
) -> tuple[bool, str | None]:
    """Run ``work`` in a thread restricted by Landlock; returns (sandboxed, why not)."""
    outcome: dict[str, object] = {}

    def body() -> None:
        if use_sandbox:
            try:
                restrict_access(*passthrough)
                outcome["sandboxed"] = True
            except SandboxError as exc:
                outcome["why_not"] = f"sandbox unavailable ({exc}); unpacked without it"
        else:
            outcome["why_not"] = "sandbox disabled by the caller"
        try:
            work()
        except BaseException as exc:  # re-raised in the calling thread
            outcome["error"] = exc

    thread = threading.Thread(target=body, name="iotvet-unblob", daemon=True)
    thread.start()
    thread.join()
    error = outcome.get("error")
    if isinstance(error, BaseException):
        raise error
    why_not = outcome.get("why_not")
    return bool(outcome.get("sandboxed")), why_not if isinstance(why_not, str) else None


def run_unblob(
    target: Path,
    workdir: Path,
    limits: Limits,
    progress: Progress | None = None,
    *,
    triage: bool = True,
    sandbox: bool = True,
    process_num: int | None = None,
) -> EngineRun:
    """Extract ``target`` into ``workdir/extract`` with unblob; never raises for bad input.

    ``triage=False`` lets unblob scan every file of every root file system (its default
    behaviour; used to measure "unblob alone").
    """
    extract_root = workdir / "extract"
    mode_journal = workdir / "modes"
    tmp_dir = workdir / "tmp"
    log_path = workdir / "unblob.log"
    for directory in (extract_root, mode_journal, tmp_dir):
        # Ours alone: output of an earlier run in the same work directory would mix with this one.
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
    log_path.touch()

    config = ExtractionConfig(
        extract_root=extract_root,
        randomness_depth=limits.max_depth + 1,
        max_depth=limits.max_depth,
        process_num=process_num or cpu_count(),
        handlers=build_handlers(limits, mode_journal),
        verbose=0,
    )
    run = EngineRun(config=config)
    config.progress_reporter = lambda: _Collector(_Observer(run, workdir, triage, progress))  # type: ignore[assignment]
    passthrough = Sandbox(
        config,
        log_path,
        None,
        extra_passthrough=[AccessFS.read_write(mode_journal), AccessFS.read_write(tmp_dir)],
    ).passthrough

    watchdog = Watchdog(extract_root, limits)
    started = time.monotonic()

    def work() -> None:
        try:
            process_file(config, target.resolve())
        except Exception as exc:  # a worker killed by the watchdog, or an unblob failure
            if watchdog.tripped is None:
                run.notes.append(f"unblob stopped: {type(exc).__name__}: {exc}")
                run.aborted = f"unblob error: {type(exc).__name__}"

    with _unblob_logging(log_path), _tool_environment(tmp_dir):
        watchdog.start()
        try:
            run.sandboxed, why_not = _run_in_sandbox(passthrough, work, sandbox)
        finally:
            watchdog.stop()
            watchdog.join()
            if watchdog.tripped is None:
                watchdog.final_check()
    run.duration_s = time.monotonic() - started
    if why_not:
        run.notes.append(why_not)
    if watchdog.tripped:
        run.aborted = watchdog.tripped
        run.skipped.append(
            Skipped(path=target.name, reason=f"limit reached: {watchdog.tripped}; "
                    "unpacking stopped, results are partial", stage=STAGE)
        )  # fmt: skip
    shutil.rmtree(tmp_dir, ignore_errors=True)
    return run
