"""Live feed updates: NVD CVE API 2.0 (incremental), CISA KEV, FIRST EPSS, OSV ecosystem archives.

Everything is downloaded first, into a scratch folder beside the database; only when every
requested download succeeded are the files imported — through the same importers as local
files — into a copy of the database that atomically replaces it (:func:`iotvet.vulns.db.build`).
A network failure therefore never leaves a half-updated database.

NVD: changes are fetched by ``lastModStartDate``/``lastModEndDate`` windows of at most 120 days
(the API's limit) from the last successful sync (or the data date of imported NVD feeds) to now,
paginated with ``startIndex``; without a previous sync the whole catalogue is fetched. The API
key, when given, goes in the ``apiKey`` header. The client keeps NVD's published rate limits:
5 requests per rolling 30 s without a key, 50 with one. Every request is retried with
exponential backoff on connection errors, 429, 403 (NVD's throttling answer) and 5xx.

All base URLs are configurable (environment or :class:`FetchConfig`), so the fetchers can be run
against a mirror — or, in the tests, a local HTTP server serving the shared snapshots:

==========================  =====================================================================
``IOTVET_NVD_URL``          CVE API 2.0 endpoint (services.nvd.nist.gov/rest/json/cves/2.0)
``NVD_API_KEY``             NVD API key (``apiKey`` header; 50 instead of 5 requests per 30 s)
``IOTVET_KEV_URL``          CISA KEV JSON
``IOTVET_EPSS_URL``         FIRST EPSS daily CSV (epss.empiricalsecurity.com; epss.cyentia.com
                            is the older mirror of the same file)
``IOTVET_OSV_URL``          OSV archive bucket; ``{url}/{ecosystem}/all.zip``
``IOTVET_OSV_ECOSYSTEMS``   comma-separated ecosystems (default ``OSS-Fuzz``; e.g. ``Debian:12``)
``IOTVET_FETCH_RETRIES``    retries per request (default 4), ``IOTVET_FETCH_BACKOFF_S`` first
                            backoff in seconds (default 2, doubling)
==========================  =====================================================================
"""

from __future__ import annotations

import os
import shutil
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx

from . import db as dbmod
from .sources import import_paths

NVD_WINDOW_DAYS = 120
NVD_PAGE_SIZE = 2000
SOURCES = ("nvd", "kev", "epss", "osv")


class FetchError(RuntimeError):
    """A download failed after its retries; the message says which URL and why."""


@dataclass
class FetchConfig:
    nvd_url: str = field(
        default_factory=lambda: os.environ.get(
            "IOTVET_NVD_URL", "https://services.nvd.nist.gov/rest/json/cves/2.0"
        )
    )
    nvd_api_key: str | None = field(default_factory=lambda: os.environ.get("NVD_API_KEY"))
    kev_url: str = field(
        default_factory=lambda: os.environ.get(
            "IOTVET_KEV_URL",
            "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json",
        )
    )
    epss_url: str = field(
        default_factory=lambda: os.environ.get(
            "IOTVET_EPSS_URL", "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz"
        )
    )
    osv_url: str = field(
        default_factory=lambda: os.environ.get(
            "IOTVET_OSV_URL", "https://osv-vulnerabilities.storage.googleapis.com"
        )
    )
    osv_ecosystems: list[str] = field(
        default_factory=lambda: os.environ.get("IOTVET_OSV_ECOSYSTEMS", "OSS-Fuzz").split(",")
    )
    timeout_s: float = 60.0
    retries: int = field(default_factory=lambda: int(os.environ.get("IOTVET_FETCH_RETRIES", "4")))
    backoff_s: float = field(
        default_factory=lambda: float(os.environ.get("IOTVET_FETCH_BACKOFF_S", "2.0"))
    )
    #: NVD rate window; the request budget per window follows from whether a key is set.
    nvd_window_s: float = 30.0

    @property
    def nvd_budget(self) -> int:
        return 50 if self.nvd_api_key else 5


class RateLimiter:
    """At most ``budget`` calls in any rolling ``window`` seconds (NVD's published limits)."""

    def __init__(
        self,
        budget: int,
        window: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.budget = budget
        self.window = window
        self.clock = clock
        self.sleep = sleep
        self.calls: deque[float] = deque()

    def wait(self) -> None:
        now = self.clock()
        while self.calls and now - self.calls[0] >= self.window:
            self.calls.popleft()
        if len(self.calls) >= self.budget:
            self.sleep(self.window - (now - self.calls[0]))
            now = self.clock()
            while self.calls and now - self.calls[0] >= self.window:
                self.calls.popleft()
        self.calls.append(now)


class Fetcher:
    def __init__(
        self,
        config: FetchConfig,
        scratch: Path,
        progress: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.scratch = scratch
        self.progress = progress or (lambda _msg: None)
        self.sleep = sleep
        self.client = httpx.Client(
            timeout=config.timeout_s, follow_redirects=True, headers={"User-Agent": "iotvet-vulndb"}
        )
        self.nvd_limit = RateLimiter(config.nvd_budget, config.nvd_window_s, sleep=sleep)
        self.files: list[Path] = []

    def close(self) -> None:
        self.client.close()

    # -- HTTP with retries ------------------------------------------------------------------------
    def _get(
        self,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        dest: Path | None = None,
    ) -> bytes | None:
        last: str = ""
        for attempt in range(self.config.retries + 1):
            if attempt:
                self.sleep(self.config.backoff_s * 2 ** (attempt - 1))
            try:
                with self.client.stream("GET", url, params=params, headers=headers) as response:
                    if response.status_code in (403, 429) or response.status_code >= 500:
                        last = f"HTTP {response.status_code}"
                        retry_after = response.headers.get("Retry-After", "")
                        if retry_after.isdigit():
                            self.sleep(min(float(retry_after), 120.0))
                        continue
                    if response.status_code != 200:
                        raise FetchError(f"{url}: HTTP {response.status_code}")
                    if dest is None:
                        return response.read()
                    with open(dest, "wb") as handle:
                        for chunk in response.iter_bytes(1 << 20):
                            handle.write(chunk)
                    return None
            except httpx.ConnectError as exc:
                last = f"cannot connect ({exc})"
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {exc}"
        host = urlparse(url).netloc or url
        raise FetchError(
            f"{url}: {last} after {self.config.retries + 1} attempts — is {host} reachable "
            "(offline, proxy, firewall)? The vulnerability database was left unchanged."
        )

    def _save(self, name: str) -> Path:
        path = self.scratch / name
        path.parent.mkdir(parents=True, exist_ok=True)
        self.files.append(path)
        return path

    # -- feeds ------------------------------------------------------------------
    def kev(self) -> None:
        self.progress(f"KEV: {self.config.kev_url}")
        self._get(self.config.kev_url, dest=self._save("kev/known_exploited_vulnerabilities.json"))

    def epss(self) -> None:
        self.progress(f"EPSS: {self.config.epss_url}")
        self._get(self.config.epss_url, dest=self._save("epss/epss_scores-current.csv.gz"))

    def osv(self) -> None:
        for ecosystem in filter(None, (e.strip() for e in self.config.osv_ecosystems)):
            url = f"{self.config.osv_url.rstrip('/')}/{ecosystem}/all.zip"
            self.progress(f"OSV {ecosystem}: {url}")
            safe = ecosystem.replace(":", "_").replace("/", "_").replace(" ", "_")
            self._get(url, dest=self._save(f"osv/{safe}-all.zip"))

    def nvd(self, since: datetime | None, until: datetime) -> int:
        """Download NVD changes in ``(since, until]``; returns the number of CVE records."""
        headers = {"apiKey": self.config.nvd_api_key} if self.config.nvd_api_key else None
        windows: list[tuple[datetime | None, datetime | None]] = []
        if since is None:
            windows.append((None, None))
        else:
            cursor = since
            while cursor < until:
                stop = min(cursor + timedelta(days=NVD_WINDOW_DAYS), until)
                windows.append((cursor, stop))
                cursor = stop
        total = 0
        for number, (start, end) in enumerate(windows):
            index = 0
            while True:
                params: dict[str, Any] = {"startIndex": index, "resultsPerPage": NVD_PAGE_SIZE}
                if start is not None and end is not None:
                    params["lastModStartDate"] = _nvd_date(start)
                    params["lastModEndDate"] = _nvd_date(end)
                self.nvd_limit.wait()
                dest = self._save(f"nvd/window{number:03d}-{index:07d}.json")
                self._get(self.config.nvd_url, params=params, headers=headers, dest=dest)
                page = _page_counts(dest)
                total += page[2]
                self.progress(
                    f"NVD {params.get('lastModStartDate', 'all')}: "
                    f"{min(index + page[2], page[1])}/{page[1]}"
                )
                index += max(page[0], 1)
                if index >= page[1] or page[2] == 0:
                    break
        return total


def _nvd_date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _page_counts(path: Path) -> tuple[int, int, int]:
    """(resultsPerPage, totalResults, records on this page) of a saved API response."""
    import ijson

    per_page = total = count = 0
    with open(path, "rb") as handle:
        for prefix, event, value in ijson.parse(handle):
            if prefix == "resultsPerPage" and event == "number":
                per_page = int(value)
            elif prefix == "totalResults" and event == "number":
                total = int(value)
            elif prefix == "vulnerabilities.item" and event == "start_map":
                count += 1
    return per_page, total, count


def last_nvd_sync(db_path: Path) -> datetime | None:
    """When NVD data was last current: the newest data date of the ``nvd`` source, if any."""
    if not db_path.exists():
        return None
    with dbmod.VulnDB(db_path) as vdb:
        for row in vdb.meta():
            if row["source"] == "nvd" and row["data_date"]:
                return datetime.fromisoformat(str(row["data_date"])).replace(tzinfo=UTC)
    return None


def update(
    db_path: Path,
    config: FetchConfig | None = None,
    sources: Iterable[str] = SOURCES,
    *,
    since: datetime | None = None,
    full: bool = False,
    progress: Callable[[str], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Fetch the requested live sources and import them atomically; returns a summary.

    NVD is fetched from ``since``, else from the last sync; ``full`` fetches the whole catalogue
    (needed once when the DB was seeded from partial feeds, e.g. the shared snapshot's gaps).
    """
    config = config or FetchConfig()
    wanted = [s for s in sources if s in SOURCES]
    unknown = sorted(set(sources) - set(SOURCES))
    if unknown:
        raise ValueError(
            f"unknown source(s) {', '.join(unknown)}; choose from {', '.join(SOURCES)}"
        )
    db_path.parent.mkdir(parents=True, exist_ok=True)
    for stale in db_path.parent.glob(f".{db_path.name}.fetch-*"):
        pid = stale.name.rsplit("-", 1)[-1]
        if not (pid.isdigit() and dbmod.pid_alive(int(pid))):
            shutil.rmtree(stale, ignore_errors=True)  # left by a killed update
    scratch = db_path.with_name(f".{db_path.name}.fetch-{os.getpid()}")
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    now = datetime.now(UTC).replace(microsecond=0)
    fetcher = Fetcher(config, scratch, progress, sleep)
    summary: dict[str, Any] = {"sources": wanted}
    try:
        if "nvd" in wanted:
            start = None if full else since or last_nvd_sync(db_path)
            summary["nvd_since"] = start.isoformat() if start else None
            summary["nvd_records"] = fetcher.nvd(start, now)
        if "kev" in wanted:
            fetcher.kev()
        if "epss" in wanted:
            fetcher.epss()
        if "osv" in wanted:
            fetcher.osv()
        fetched = dbmod.now_iso()
        with dbmod.build(db_path) as writer:
            summary["imported"] = import_paths([scratch], writer)
            summary["skipped"] = writer.skipped
            origins = {
                "nvd": config.nvd_url,
                "kev": config.kev_url,
                "epss": config.epss_url,
                "osv": config.osv_url,
            }
            for source in wanted:
                date = now.isoformat()[:19] if source == "nvd" else None
                if source != "osv" or "osv" in summary["imported"]:
                    writer.note_source(
                        source,
                        origin=origins[source],
                        data_date=date,
                        fetched_at=fetched,
                        replace_origin=True,
                    )
    finally:
        fetcher.close()
        shutil.rmtree(scratch, ignore_errors=True)
    return summary
