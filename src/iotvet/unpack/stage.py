"""``unpack()``: the unpack stage's single entry point.

target → (directory: used as is | file: unblob) → layer tree, root file systems, kernels, and a
``skipped`` list for everything a limit, an error or an unknown region made us pass over.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from ..limits import Limits
from ..model import Layer, Skipped
from ..rootfs import RootFS
from .engine import STAGE, EngineRun, run_unblob
from .handlers import restore_modes
from .interface import UnpackResult
from .kernels import KernelImage, scan_file
from .layers import HIGH_ENTROPY_BITS, ChunkIndex, ChunkInfo, LayerBuilder
from .roots import find_roots_below, root_role
from .salvage import salvage
from .triage import KERNEL_NAME

_MIN_KERNEL_BYTES = 64 * 1024
_ROLE_ORDER = {"rootfs": 0, "initramfs": 1, "overlay": 2}


def unpack(
    target: Path,
    workdir: Path,
    limits: Limits,
    progress: Callable[[str], None] | None = None,
) -> UnpackResult:
    """Unpack ``target`` (image file, extracted directory or single binary) below ``workdir``.

    Raises ``FileNotFoundError``/``PermissionError`` when the target cannot be opened at all;
    every other problem (empty, truncated, random, bomb, limit) yields a result with ``skipped``.
    """
    target = Path(target)
    workdir = Path(workdir)
    if not os.path.lexists(target):
        raise FileNotFoundError(f"{target}: no such file or directory")
    workdir.mkdir(parents=True, exist_ok=True)
    if target.is_dir():
        return _unpack_directory(target, limits)
    st = target.stat()
    if not stat.S_ISREG(st.st_mode):
        return UnpackResult(
            skipped=[Skipped(path=target.name, reason="not a regular file", stage=STAGE)]
        )
    with open(target, "rb"):  # unreadable → PermissionError for the caller
        pass
    if st.st_size == 0:
        return UnpackResult(
            layers=[Layer(path=target.name, format="empty", size=0, role="unknown")],
            skipped=[
                Skipped(path=target.name, reason="empty file: nothing to unpack", stage=STAGE)
            ],
        )
    if progress:
        progress(f"unpacking {target.name} with unblob")
    run = run_unblob(target, workdir, limits, progress)
    result = _Assembly(run, target, workdir, limits).result()
    if result.recognised:
        return result
    return _salvaged(target, workdir, limits, result, progress) or result


def _salvaged(
    target: Path,
    workdir: Path,
    limits: Limits,
    first: UnpackResult,
    progress: Callable[[str], None] | None,
) -> UnpackResult | None:
    """Nothing recognised: if the file is a cut-off compressed stream, unpack its readable part.

    What the first attempt passed over (a limit it hit, say) stays in ``skipped``."""
    saved = salvage(target, workdir / "salvage", limits)
    if saved is None:
        return None
    inner = unpack(saved.output, workdir / "salvaged", limits, progress)
    layer = Layer(
        path=target.name,
        format=saved.format,
        offset=0,
        size=target.stat().st_size,
        role="truncated",
        extracted_to=str(saved.output.relative_to(workdir)),
        children=inner.layers,
    )
    note = Skipped(
        path=target.name,
        reason=f"{saved.format} stream read up to byte {saved.consumed}: {saved.reason}; "
        f"only the {saved.produced} bytes before it were unpacked",
        stage=STAGE,
    )
    return replace(inner, layers=[layer], skipped=[note, *first.skipped, *inner.skipped])


def unblob_only(target: Path, workdir: Path, limits: Limits) -> EngineRun:
    """unblob alone, the way its CLI runs (every file of every extracted tree scanned), with
    iotvet's handler set and sandbox but none of the stage's own work — the benchmark baseline."""
    return run_unblob(Path(target), Path(workdir), limits, triage=False)


def _unpack_directory(target: Path, limits: Limits) -> UnpackResult:
    """An already-extracted tree: no extraction; find the real root(s) below it."""
    found = find_roots_below(target)
    paths = found or [target]
    roots = [
        RootFS(path, label=str(path), kind=root_role(path, None) if found else "directory",
               limits=limits)
        for path in paths
    ]  # fmt: skip
    layers = [
        Layer(path=str(path), format="directory", role=root.kind)
        for path, root in zip(paths, roots, strict=True)
    ]
    result = UnpackResult(layers=layers, roots=roots, extract_dir=target)
    _account(result, limits)
    return result


def _account(result: UnpackResult, limits: Limits, extra_bytes: int = 0) -> None:
    """Bytes and files of the roots; the walk fills RootFS.entries, which later stages reuse."""
    result.bytes_unpacked = extra_bytes
    for root in result.roots:
        entries = root.entries
        result.files_unpacked += len(entries)
        result.bytes_unpacked += sum(e.size for e in entries.values() if e.is_file)
        if root.truncated:
            result.skipped.append(
                Skipped(path=root.label, reason=f"max files ({limits.max_files}) reached: "
                        "the root file system listing is truncated", stage=STAGE)
            )  # fmt: skip


class _Assembly:
    """Everything after unblob: kernels, roots and roles, relocation, modes, layers."""

    def __init__(self, run: EngineRun, target: Path, workdir: Path, limits: Limits) -> None:
        self.run = run
        self.target = target.resolve()
        self.workdir = workdir
        self.limits = limits
        self.index = ChunkIndex(run.results, run.config)
        self.index.fill_missing_entropy()
        self.roots = list(run.roots)
        self.moves: list[tuple[Path, Path]] = []

    # -- membership ------------------------------------------------------------------------------
    def root_of(self, path: Path) -> Path | None:
        """The root whose own tree holds ``path`` (unblob's artifacts below a root excluded)."""
        roots = set(self.roots)
        for candidate in (path, *path.parents):
            if candidate in roots:
                return candidate
            if candidate in self.index.artifact_dirs:
                return None
        return None

    def translate(self, path: Path) -> Path:
        for old, new in self.moves:
            if path == old or old in path.parents:
                path = new / path.relative_to(old)
        return path

    # -- kernels ---------------------------------------------------------------------------------
    def _kernel_candidates(self) -> list[tuple[Path, ChunkInfo | None]]:
        found: list[tuple[Path, ChunkInfo | None]] = []
        for result, st in self.index.file_results():
            path = result.task.path
            if st.size < _MIN_KERNEL_BYTES:
                continue
            named = bool(KERNEL_NAME.match(os.fsencode(path.name)))
            layer_output = path.parent in self.index.by_extract_dir and self.root_of(path) is None
            if named or layer_output:
                found.append((path, self.index.owner_of(path)))
        for chunk in self.index.chunks.values():
            if (
                chunk.format == "unknown"
                and chunk.carved_path
                and chunk.end - chunk.start >= _MIN_KERNEL_BYTES
            ):
                found.append((chunk.carved_path, chunk))
        if not any(c.parent == "" for c in self.index.chunks.values()):
            found.append((self.target, None))  # a raw kernel unblob found nothing in
        return found

    def find_kernels(self) -> list[KernelImage]:
        """Kernels and bootloaders (one entry per file and signature); marks their layers' roles."""
        images: list[KernelImage] = []
        scanned: set[Path] = set()
        for path, owner in self._kernel_candidates():
            if path in scanned:
                continue
            scanned.add(path)
            for signature, version, text in scan_file(path, self.limits.max_file_read):
                if owner is not None and owner.role in (None, "bootloader"):
                    owner.role = signature.kind
                layer = f"{owner.format}@{owner.start:#x}" if owner else None
                images.append(KernelImage(path, version, text, layer, signature.os, signature.kind))
        return images

    # -- roots -----------------------------------------------------------------------------------
    def assign_root_roles(self) -> dict[Path, str]:
        roles: dict[Path, str] = {}
        for root in self.roots:
            owner = self.index.owner_of(root)
            role = root_role(root, owner.format if owner else None)
            roles[root] = role
            if owner is not None and owner.role in (None, "kernel"):
                owner.role = role
        return roles

    def relocate_artifacts(self) -> None:
        """Move unblob's NAME_extract directories out of root file systems (innermost first).

        They are unblob's output, not the device's files; left in place they would show up in the
        device tree ("/usr/share/x.gz_extract/…"). They move below ``extract/.nested`` and stay
        reachable as child layers (and as roots of their own when they hold a file system).
        """
        nested = self.run.config.extract_root / ".nested"
        counter = 0
        roots_by_depth = sorted(self.roots, key=lambda p: len(p.parts), reverse=True)
        for root in roots_by_depth:
            artifacts = {
                self.run.config.get_carve_dir_for(chunk.carrier)
                for chunk in self.index.chunks.values()
                if self.root_of(chunk.carrier) == root and not any(
                    "exists" in e for e in chunk.errors)
            }  # fmt: skip
            for artifact in sorted(artifacts):
                if not artifact.is_dir() or artifact.is_symlink():
                    continue
                counter += 1
                destination = nested / str(counter) / artifact.relative_to(root)
                destination.parent.mkdir(parents=True, exist_ok=True)
                artifact.rename(destination)
                self.moves.append((artifact, destination))

    # -- result ----------------------------------------------------------------------------------
    def _keep(self, chunk: ChunkInfo) -> bool:
        """Drop chunks that only say "this file of the device is an ELF" (no output, no error)."""
        inside = self.root_of(chunk.carrier) is not None
        return not (inside and chunk.extract_dir is None and not chunk.errors)

    def _fallback_roots(self) -> list[RootFS]:
        """No Linux root: the unpacked output as one tree, or the target itself as a binary."""
        extracted = self.run.config.get_extract_dir_for(self.target)
        if any(c.extract_dir for c in self.index.chunks.values()) and extracted.is_dir():
            return [RootFS(extracted, label=os.path.relpath(extracted, self.workdir),
                           kind="extracted", limits=self.limits)]  # fmt: skip
        # A copy, not a hard link: nothing done to the work directory may touch the user's file.
        holder = self.workdir / "binary"
        holder.mkdir(exist_ok=True)
        size = self.target.stat().st_size
        if size > self.limits.max_unpacked_bytes:
            self.run.skipped.append(Skipped(
                path=self.target.name,
                reason=f"{size} bytes exceed max unpacked bytes: not copied for analysis",
                stage=STAGE,
            ))  # fmt: skip
            return []
        shutil.copy2(self.target, holder / self.target.name)
        return [RootFS(holder, label=self.target.name, kind="binary", limits=self.limits)]

    def _whole_file_layer(self) -> Layer | None:
        entropy = self.index.whole_file_entropy.get(self.target)
        if any(c.parent == "" for c in self.index.chunks.values()):
            return None
        high = entropy is not None and entropy >= HIGH_ENTROPY_BITS
        return Layer(path=self.target.name, format="unknown", offset=0,
                     size=self.target.stat().st_size, entropy=entropy,
                     role="encrypted" if high else "binary")  # fmt: skip

    def result(self) -> UnpackResult:
        kernels = self.find_kernels()
        roles = self.assign_root_roles()
        self.relocate_artifacts()
        restore_modes(
            self.workdir / "modes",
            lambda p: os.fsencode(self.translate(Path(os.fsdecode(p)))),
        )
        builder = LayerBuilder(self.index, self.target, self.workdir, self.translate)
        layers = builder.build(self._keep)
        whole = self._whole_file_layer()
        ordered = sorted(self.roots, key=lambda r: _ROLE_ORDER.get(roles[r], 9))
        roots = [
            RootFS(self.translate(r), label=os.path.relpath(self.translate(r), self.workdir),
                   kind=roles[r], limits=self.limits)
            for r in ordered
        ]  # fmt: skip
        if not roots:
            roots = self._fallback_roots()
        skipped = list(self.run.skipped)
        if whole is not None:
            layers.insert(0, whole)
            if whole.role == "encrypted":
                skipped.append(Skipped(
                    path=self.target.name,
                    reason=f"no known format found; high entropy ({whole.entropy:.2f} bits/byte): "
                    "encrypted or compressed with an unknown codec",
                    stage=STAGE,
                ))  # fmt: skip
        skipped.extend(builder.skipped)
        result = UnpackResult(
            layers=layers,
            roots=roots,
            kernel_images=[replace(k, path=self.translate(k.path)) for k in kernels],
            skipped=skipped,
            extract_dir=self.run.config.extract_root,
            notes=list(self.run.notes),
            sandboxed=self.run.sandboxed,
            duration_s=self.run.duration_s,
        )
        if self.run.pruned_files:
            result.notes.append(
                f"{self.run.pruned_files} files inside root file systems were not scanned for "
                "nested containers (not container-shaped)"
            )
        outside = sum(
            st.size for result_, st in self.index.file_results()
            if result_.task.depth > 0 and self.root_of(result_.task.path) is None
        )  # fmt: skip
        _account(result, self.limits, outside)
        return result
