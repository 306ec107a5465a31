"""Every corpus image unpacks to the layers and the exact root file system its truth file records.

Measured against ``*.truth.json`` (written by the corpus builder and checked there with
independent extractors), never against our own output.
"""

from __future__ import annotations

import hashlib
import posixpath
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from corpus import corpus_images, truth_of
from iotvet.unpack.interface import UnpackResult

# Truth layer type → the unblob handler names that stand for it.
HANDLERS = {
    "uimage": {"uimage"},
    "squashfs": {"squashfs_v4_le", "squashfs_v4_be", "squashfs_v3", "squashfs_v2"},
    "jffs2": {"jffs2_new", "jffs2_old"},
    "gzip": {"gzip"},
    "xz": {"xz"},
    "cpio": {"cpio_portable_ascii", "cpio_portable_ascii_crc", "cpio_portable_old_ascii"},
    "ext4": {"extfs"},
}


def _resolve(links: dict[str, str], path: str) -> str:
    """Where ``path`` leads in the truth manifest, following its symlinks (device semantics)."""
    for _ in range(40):
        parts = path.strip("/").split("/")
        for i in range(len(parts)):
            prefix = "/" + "/".join(parts[: i + 1])
            if prefix in links:
                target = links[prefix]
                base = "/" if target.startswith("/") else posixpath.dirname(prefix)
                rest = "/".join(parts[i + 1 :])
                path = posixpath.normpath(posixpath.join(base, target, rest))
                break
        else:
            return path
    raise AssertionError(f"symlink loop at {path}")


def _chain(layers: list) -> list[str]:  # type: ignore[type-arg]
    """Formats from outermost to innermost along the path to the root file system layer."""
    for layer in layers:
        if layer.role in ("rootfs", "initramfs"):
            return [layer.format]
        inner = _chain(layer.children)
        if inner:
            return [layer.format, *inner]
    return []


@pytest.fixture(params=corpus_images(), ids=lambda p: p.name)
def image(request: pytest.FixtureRequest) -> Path:
    return request.param  # type: ignore[no-any-return]


def test_layer_chain_matches_truth(image: Path, unpacked: Callable[[Path], UnpackResult]) -> None:
    result = unpacked(image)
    truth_types = [layer["type"] for layer in truth_of(image)["format_layers"]]
    chain = _chain(result.layers)
    assert len(chain) == len(truth_types), (chain, truth_types)
    for fmt, expected in zip(chain, truth_types, strict=True):
        assert fmt in HANDLERS[expected], (fmt, expected)
    top = result.layers[0]
    truth_top = truth_of(image)["format_layers"][0]
    assert (top.offset, top.size) == (truth_top["offset"], truth_top["size"])


def test_root_file_system_matches_manifest(
    image: Path, unpacked: Callable[[Path], UnpackResult]
) -> None:
    result = unpacked(image)
    truth = truth_of(image)
    roots = [r for r in result.roots if r.kind in ("rootfs", "initramfs")]
    assert len(roots) == 1, [(r.kind, r.label) for r in result.roots]
    root = roots[0]
    manifest = {p for p, *_ in truth["rootfs_manifest"]} | {"/"}
    links = {p: extra for p, kind, _m, _s, extra in truth["rootfs_manifest"] if kind == "symlink"}
    files = same = modes_total = 0
    wrong_modes = []
    for path, kind, mode, _size, extra in truth["rootfs_manifest"]:
        entry = root.entries.get(path)
        assert entry is not None, f"{path} missing"
        if kind == "symlink":
            # unblob rewrites link targets (relative, fully resolved, never out of the tree);
            # what must hold is that the link still leads to the same inner path.
            assert entry.is_link, path
            destination = _resolve(links, path)
            expected = destination if destination in manifest else None  # dangling stays so
            assert root.resolve(path) == expected, path
            continue
        if kind == "file":
            files += 1
            data = root.host_path(path).read_bytes()
            same += hashlib.sha256(data).hexdigest() == extra
        modes_total += 1
        if stat.S_IMODE(entry.mode) != int(mode, 8):
            wrong_modes.append((path, mode, oct(entry.mode)))
    assert same / files >= 0.99, f"{same}/{files} files with the truth's sha256"
    assert len(wrong_modes) <= 0.01 * modes_total, wrong_modes
    # Nothing that is not in the image: no unblob artifacts in the device's tree.
    known = {p for p, *_ in truth["rootfs_manifest"]} | {"/lost+found"}
    assert not set(root.entries) - known


def test_planted_permissions_are_visible(
    image: Path, unpacked: Callable[[Path], UnpackResult]
) -> None:
    """Setuid and world-writable entries keep exactly the mode the builder planted."""
    root = next(r for r in unpacked(image).roots if r.kind in ("rootfs", "initramfs"))
    findings = truth_of(image)["findings"]
    planted = [*findings["setuid_files"], *findings["world_writable"]]
    for item in planted:
        entry = root.entries[item["path"]]
        assert stat.S_IMODE(entry.mode) == int(item["mode"], 8), item


def test_sandboxed_and_unpacked_once(image: Path, unpacked: Callable[[Path], UnpackResult]) -> None:
    result = unpacked(image)
    assert result.sandboxed, result.notes
    assert result.files_unpacked >= truth_of(image)["rootfs"]["entries"]
    assert result.bytes_unpacked >= truth_of(image)["rootfs"]["file_bytes"]
