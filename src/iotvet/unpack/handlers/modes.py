"""Keep the permission bits the extractors wrote, which unblob widens afterwards.

After every extraction unblob runs ``fix_extracted_directory``, which ORs 0o644 into every file
and 0o775 into every directory so that an unprivileged analyst can read the tree. That erases
facts the checks need (an ``/etc/shadow`` of mode 0600 would look world-readable). Each handler's
``extract`` is therefore wrapped to note, right after the extractor ran and before unblob widens
anything, the entries whose mode the widening would change; ``restore_modes`` puts them back when
unblob is done. Only those entries are journaled, so the journal stays tiny.
"""

from __future__ import annotations

import os
import stat
import uuid
from collections.abc import Callable
from pathlib import Path

from unblob.extractor import DIR_PERMISSION_MASK, FILE_PERMISSION_MASK
from unblob.models import ExtractResult, Handler

_SEP = b"\0"


def journal_modes(outdir: Path, journal_dir: Path) -> None:
    """Record entries below ``outdir`` whose mode unblob's permission fix would widen."""
    if not outdir.is_dir():
        return
    records: list[bytes] = []
    stack = [os.fsencode(outdir)]
    while stack:
        directory = stack.pop()
        try:
            it = os.scandir(directory)
        except OSError:
            continue
        with it:
            for entry in it:
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                mode = stat.S_IMODE(st.st_mode)
                if stat.S_ISDIR(st.st_mode):
                    stack.append(entry.path)
                    widened = mode | DIR_PERMISSION_MASK
                elif stat.S_ISREG(st.st_mode):
                    widened = mode | FILE_PERMISSION_MASK
                else:
                    continue
                if widened != mode:
                    records.append(b"%o " % mode + entry.path)
    if records:
        journal_dir.mkdir(parents=True, exist_ok=True)
        (journal_dir / f"{uuid.uuid4().hex}.modes").write_bytes(_SEP.join(records))


def restore_modes(journal_dir: Path, translate: Callable[[bytes], bytes]) -> int:
    """Put journaled modes back (``translate`` maps paths of relocated trees); returns count."""
    restored = 0
    if not journal_dir.is_dir():
        return 0
    # Deepest first, so that a directory made read-only again never blocks its children.
    records: list[tuple[bytes, int]] = []
    for journal in journal_dir.glob("*.modes"):
        for record in journal.read_bytes().split(_SEP):
            octal, _, path = record.partition(b" ")
            if path:
                records.append((translate(path), int(octal, 8)))
    for path, mode in sorted(records, key=lambda r: r[0].count(b"/"), reverse=True):
        try:
            if not os.path.islink(path):
                os.chmod(path, mode)
                restored += 1
        except OSError:
            continue
    return restored


def with_mode_journal(handler: type[Handler], journal_dir: Path) -> type[Handler]:
    """The same handler; its ``extract`` journals modes before unblob widens them."""
    base_extract = handler.extract

    def extract(self: Handler, inpath: Path, outdir: Path) -> ExtractResult | None:
        try:
            return base_extract(self, inpath, outdir)
        finally:
            journal_modes(outdir, journal_dir)

    return type(handler.__name__, (handler,), {"extract": extract, "__module__": __name__})
