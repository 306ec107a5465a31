"""Feed importers, one module per format, and the dispatcher that recognises them.

:func:`import_paths` accepts files, folders and zip archives (also gzip-compressed files) and
recognises each document by its content, not its name: NVD 1.1 feeds, NVD API 2.0 responses and
2.0 feed/override files, CVE JSON 5 records, OSV records, CSAF advisories, the CISA KEV catalog
and FIRST EPSS CSV. Unrecognised or malformed files are reported (``writer.skipped``), never fatal.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from ..db import DbWriter
from ..records import Advisory
from . import csaf, cve5, epss, kev, nvd11, nvd_api2, osv
from .common import nvd_time

#: Largest single JSON document loaded whole (streamed formats have no limit).
MAX_DOCUMENT_BYTES = 256 * 1024 * 1024
_HEAD = 8192

Opener = Callable[[], IO[bytes]]
Progress = Callable[[str, int], None]


def import_paths(
    paths: Iterable[Path], writer: DbWriter, progress: Progress | None = None
) -> dict[str, int]:
    """Import every recognised document under ``paths``; returns advisories added per source."""
    before = dict(writer.counts)
    for path in paths:
        for origin, opener in _documents(Path(path), writer):
            _import_one(origin, opener, writer)
            if progress is not None:
                progress(origin, sum(writer.counts.values()))
    return {k: v - before.get(k, 0) for k, v in writer.counts.items() if v != before.get(k, 0)}


def _documents(path: Path, writer: DbWriter) -> Iterator[tuple[str, Opener]]:
    if path.is_dir():
        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            yield from _documents(child, writer)
        return
    if not path.is_file():
        writer.skip(str(path), "no such file")
        return
    if zipfile.is_zipfile(path):
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            writer.skip(str(path), f"unreadable zip archive: {exc}")
            return
        with archive:
            for info in sorted(archive.infolist(), key=lambda i: i.filename):
                if info.is_dir():
                    continue
                yield f"{path}!{info.filename}", _zip_opener(archive, info.filename)
        return
    yield str(path), _file_opener(path)


def _zip_opener(archive: zipfile.ZipFile, name: str) -> Opener:
    def open_member() -> IO[bytes]:
        return _maybe_gunzip(archive.open(name), name)

    return open_member


def _file_opener(path: Path) -> Opener:
    def open_file() -> IO[bytes]:
        return _maybe_gunzip(path.open("rb"), path.name)

    return open_file


def _maybe_gunzip(stream: IO[bytes], name: str) -> IO[bytes]:
    if name.endswith(".gz"):
        return gzip.GzipFile(fileobj=stream)  # type: ignore[return-value]
    return stream


@contextmanager
def _opened(opener: Opener) -> Iterator[IO[bytes]]:
    stream = opener()
    try:
        yield stream
    finally:
        stream.close()


def _import_one(origin: str, opener: Opener, writer: DbWriter) -> None:
    try:
        with _opened(opener) as stream:
            head = stream.read(_HEAD).decode("utf-8", "replace")
        kind = _sniff(head)
        if kind == "nvd11":
            date = _match(r'"CVE_data_timestamp"\s*:\s*"([^"]+)"', head)
            with _opened(opener) as stream:
                _add_all(nvd11.read(stream), writer, origin, data_date=date)
        elif kind == "nvd_api2":
            date = _match(r'"timestamp"\s*:\s*"([^"]+)"', head)
            with _opened(opener) as stream:
                _add_all(nvd_api2.read_stream(stream), writer, origin, data_date=date)
        elif kind == "epss":
            _import_epss(origin, opener, writer)
        else:
            _import_document(origin, opener, writer)
    except (ValueError, OSError, EOFError, KeyError, TypeError, AttributeError) as exc:
        writer.skip(origin, f"malformed {type(exc).__name__}: {exc}")


def _sniff(head: str) -> str:
    if '"CVE_Items"' in head or '"CVE_data_type"' in head:
        return "nvd11"
    if '"catalogVersion"' in head or '"csaf_version"' in head:
        return "document"
    if '"vulnerabilities"' in head and (
        '"NVD_CVE"' in head or '"resultsPerPage"' in head or '"totalResults"' in head
    ):
        return "nvd_api2"
    if epss.looks_like(head):
        return "epss"
    return "document"


def _match(pattern: str, text: str) -> str | None:
    found = re.search(pattern, text)
    return found.group(1) if found else None


def _add_all(
    advisories: Iterable[Advisory], writer: DbWriter, origin: str, data_date: str | None = None
) -> None:
    latest: dict[str, str] = {}
    for advisory in advisories:
        writer.add(advisory)
        if advisory.modified is None:
            latest.setdefault(advisory.source, "")
        elif advisory.modified > latest.get(advisory.source, ""):
            latest[advisory.source] = advisory.modified
    if not latest:
        writer.skip(origin, "no vulnerability records in the document")
    for source, modified in latest.items():
        date = data_date if data_date and source == nvd11.SOURCE else modified
        writer.note_source(source, origin=_origin_label(origin), data_date=_date(date))


def _origin_label(origin: str) -> str:
    """Name an archive rather than each of its thousands of members in the metadata."""
    return origin.split("!", 1)[0]


def _date(value: str | None) -> str | None:
    return nvd_time(value) if value else None


def _import_epss(origin: str, opener: Opener, writer: DbWriter) -> None:
    meta: dict[str, str] = {}
    with _opened(opener) as stream:
        text = io.TextIOWrapper(stream, encoding="utf-8", errors="replace")
        count = writer.replace_epss(epss.read(text, meta))
    writer.note_source(
        epss.SOURCE,
        origin=origin,
        data_date=_date(meta.get("score_date")),
        records=count,
    )


def _import_document(origin: str, opener: Opener, writer: DbWriter) -> None:
    with _opened(opener) as stream:
        raw = stream.read(MAX_DOCUMENT_BYTES + 1)
    if len(raw) > MAX_DOCUMENT_BYTES:
        writer.skip(
            origin, f"document larger than {MAX_DOCUMENT_BYTES} bytes in an unstreamed format"
        )
        return
    try:
        doc: Any = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        writer.skip(origin, f"not JSON: {exc}")
        return
    if not isinstance(doc, dict):
        writer.skip(origin, "JSON document is not an object")
        return
    if kev.is_catalog(doc):
        count = writer.replace_kev(kev.rows(doc))
        writer.note_source(
            kev.SOURCE, origin=origin, data_date=_date(kev.data_date(doc)), records=count
        )
    elif csaf.is_document(doc):
        _add_all(csaf.read_document(doc), writer, origin)
    elif cve5.is_record(doc):
        _add_all(cve5.read_document(doc), writer, origin)
    elif "cve" in doc or "vulnerabilities" in doc:
        _add_all(nvd_api2.read_document(doc), writer, origin)
    elif osv.is_record(doc):
        _add_all(osv.read_document(doc), writer, origin)
    else:
        writer.skip(origin, "not a recognised vulnerability feed document")
