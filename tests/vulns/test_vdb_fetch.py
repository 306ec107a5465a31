"""Live fetchers against a local HTTP server (127.0.0.1) serving the shared snapshots.

KEV, EPSS and the OSV archive are served as the files in ../shared/vulndata. The NVD endpoint is
a small API 2.0 server over CVE records taken from the shared NVD 2.0 override records: it
honours ``startIndex``/``resultsPerPage`` (answering at most 2 per page, as the real API may
answer fewer than asked) and records every request so the tests can check windows and headers.
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from vdb_support import require

from corpus import VULNDATA
from iotvet.vulns import db
from iotvet.vulns.fetch import FetchConfig, FetchError, RateLimiter, update


def nvd_records() -> list[dict[str, Any]]:
    out = []
    with zipfile.ZipFile(require(VULNDATA / "nvd-2.0-overrides.zip")) as zf:
        for name in (
            "data/2011/CVE-2011-2716.json",
            "data/2013/CVE-2013-1813.json",
            "data/2024/CVE-2024-58251.json",
            "data/2025/CVE-2025-46394.json",
            "data/2023/CVE-2023-50868.json",
        ):
            doc = json.loads(zf.read(name))
            note = doc["_annotation"]
            out.append(
                {
                    "cve": {
                        "id": note["cve_id"],
                        "published": note.get("published"),
                        "lastModified": note.get("modified"),
                        "vulnStatus": "Analyzed",
                        "descriptions": [{"lang": "en", "value": note.get("description", "")}],
                        "configurations": doc["cve"]["configurations"],
                    }
                }
            )
    return out


class Mirror:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.records = nvd_records()
        self.requests: list[tuple[str, dict[str, list[str]], dict[str, str]]] = []
        self.failures: dict[str, int] = {}
        mirror = self

        class Handler(SimpleHTTPRequestHandler):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, directory=str(mirror.root), **kwargs)

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                url = urlparse(self.path)
                mirror.requests.append((url.path, parse_qs(url.query), dict(self.headers)))
                if mirror.failures.get(url.path, 0) > 0:
                    mirror.failures[url.path] -= 1
                    self.send_error(503, "try again")
                    return
                if url.path == "/nvd/rest/json/cves/2.0":
                    self._nvd(parse_qs(url.query))
                    return
                super().do_GET()

            def _nvd(self, query: dict[str, list[str]]) -> None:
                start = int(query.get("startIndex", ["0"])[0])
                per_page = min(int(query.get("resultsPerPage", ["2000"])[0]), 2)
                page = mirror.records[start : start + per_page]
                body = json.dumps(
                    {
                        "resultsPerPage": len(page),
                        "startIndex": start,
                        "totalResults": len(mirror.records),
                        "format": "NVD_CVE",
                        "version": "2.0",
                        "timestamp": "2026-11-25T00:00:00.000",
                        "vulnerabilities": page,
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def config(self, **overrides: Any) -> FetchConfig:
        values: dict[str, Any] = dict(
            nvd_url=f"{self.base}/nvd/rest/json/cves/2.0",
            nvd_api_key="test-key",
            kev_url=f"{self.base}/kev/known_exploited_vulnerabilities.json",
            epss_url=f"{self.base}/epss/epss_scores-current.csv.gz",
            osv_url=f"{self.base}/osv",
            osv_ecosystems=["OSS-Fuzz"],
            retries=2,
            backoff_s=0.0,
        )
        values.update(overrides)
        return FetchConfig(**values)


@pytest.fixture()
def mirror(tmp_path: Path) -> Iterator[Mirror]:
    root = tmp_path / "www"
    (root / "kev").mkdir(parents=True)
    (root / "epss").mkdir()
    (root / "osv" / "OSS-Fuzz").mkdir(parents=True)
    (root / "kev" / "known_exploited_vulnerabilities.json").symlink_to(
        require(VULNDATA / "kev" / "known_exploited_vulnerabilities.json")
    )
    (root / "epss" / "epss_scores-current.csv.gz").symlink_to(
        next(require(VULNDATA / "epss").glob("*.csv.gz"))
    )
    (root / "osv" / "OSS-Fuzz" / "all.zip").symlink_to(require(VULNDATA / "osv-oss-fuzz.zip"))
    server = Mirror(root)
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def test_update_from_a_mirror(mirror: Mirror, tmp_path: Path) -> None:
    target = tmp_path / "home" / "vulndb.sqlite"
    since = datetime.now(UTC) - timedelta(days=200)
    summary = update(target, mirror.config(), since=since, sleep=lambda _s: None)
    with db.VulnDB(target) as vdb:
        stats = vdb.stats()
    meta = {m["source"]: m for m in stats["sources"]}
    # this server ignores the dates, so both windows return every record; the DB keeps one each
    assert summary["nvd_records"] == 2 * len(mirror.records)
    assert meta["nvd"]["records"] == len(mirror.records)
    assert meta["nvd"]["origin"] == mirror.config().nvd_url  # the URL, not the scratch file
    assert meta["kev"]["records"] == len(
        json.loads((VULNDATA / "kev" / "known_exploited_vulnerabilities.json").read_text())[
            "vulnerabilities"
        ]
    )
    with zipfile.ZipFile(VULNDATA / "osv-oss-fuzz.zip") as zf:
        osv_records = sum(1 for n in zf.namelist() if n.endswith(".json"))
    assert meta["osv"]["records"] == osv_records
    assert meta["epss"]["records"] > 300_000
    nvd_calls = [r for r in mirror.requests if r[0].startswith("/nvd/")]
    # 200 days → two windows of at most 120 days, each paged 2 by 2 through 5 records
    windows = {(q["lastModStartDate"][0], q["lastModEndDate"][0]) for _p, q, _h in nvd_calls}
    assert len(windows) == 2
    for start, end in windows:
        span = datetime.fromisoformat(end.replace("Z", "+00:00")) - datetime.fromisoformat(
            start.replace("Z", "+00:00")
        )
        assert timedelta(0) < span <= timedelta(days=120)
    assert len(nvd_calls) == 2 * 3
    assert all(h.get("apiKey") == "test-key" for _p, _q, h in nvd_calls)
    assert not list(target.parent.glob(".vulndb.sqlite.fetch-*"))  # scratch files removed


def test_retries_after_server_errors(mirror: Mirror, tmp_path: Path) -> None:
    mirror.failures["/kev/known_exploited_vulnerabilities.json"] = 2
    waits: list[float] = []
    update(tmp_path / "v.sqlite", mirror.config(), ["kev"], sleep=waits.append)
    attempts = [r for r in mirror.requests if r[0].startswith("/kev/")]
    assert len(attempts) == 3
    assert len(waits) == 2  # backed off before each retry


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_offline_update_says_so_and_changes_nothing(mirror: Mirror, tmp_path: Path) -> None:
    target = tmp_path / "v.sqlite"
    update(target, mirror.config(), ["kev"], sleep=lambda _s: None)
    before = hashlib.sha256(target.read_bytes()).hexdigest()
    dead = f"http://127.0.0.1:{_closed_port()}"
    config = mirror.config(kev_url=f"{dead}/kev.json", epss_url=f"{dead}/epss.csv.gz")
    with pytest.raises(FetchError, match="reachable") as info:
        update(target, config, ["kev", "epss"], sleep=lambda _s: None)
    assert "unchanged" in str(info.value)
    assert hashlib.sha256(target.read_bytes()).hexdigest() == before
    assert not list(tmp_path.glob(".v.sqlite.fetch-*"))


def test_rate_limiter_keeps_the_published_budget() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(5, 30.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        limiter.wait()
        now[0] += 1.0
    assert slept == []
    limiter.wait()  # the sixth request within 30 s waits for the first to leave the window
    assert slept == [pytest.approx(25.0)]
    assert FetchConfig(nvd_api_key=None).nvd_budget == 5
    assert FetchConfig(nvd_api_key="k").nvd_budget == 50


def test_update_command_uses_configured_urls(
    mirror: Mirror, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import typer
    from typer.testing import CliRunner

    from iotvet.vulns.cli import app

    cli = typer.Typer()
    cli.add_typer(app, name="vulndb")
    target = tmp_path / "v.sqlite"
    monkeypatch.setenv("IOTVET_KEV_URL", mirror.config().kev_url)
    result = CliRunner().invoke(cli, ["vulndb", "update", "--db", str(target), "-s", "kev"])
    assert result.exit_code == 0, result.output
    with db.VulnDB(target) as vdb:
        (kev,) = [m for m in vdb.meta() if m["source"] == "kev"]
    assert kev["origin"] == mirror.config().kev_url
    monkeypatch.setenv("IOTVET_KEV_URL", f"http://127.0.0.1:{_closed_port()}/kev.json")
    monkeypatch.setenv("IOTVET_FETCH_RETRIES", "1")
    monkeypatch.setenv("IOTVET_FETCH_BACKOFF_S", "0")
    offline = CliRunner().invoke(cli, ["vulndb", "update", "--db", str(target), "-s", "kev"])
    assert offline.exit_code == 1
    assert "update failed" in offline.output and "unchanged" in offline.output


def test_full_nvd_fetch_has_no_date_window(mirror: Mirror, tmp_path: Path) -> None:
    summary = update(
        tmp_path / "v.sqlite", mirror.config(), ["nvd"], full=True, sleep=lambda _s: None
    )
    calls = [q for p, q, _h in mirror.requests if p.startswith("/nvd/")]
    assert summary["nvd_since"] is None and summary["nvd_records"] == len(mirror.records)
    assert calls and all("lastModStartDate" not in q for q in calls)
    assert [q["startIndex"][0] for q in calls] == ["0", "2", "4"]  # paged by the server's size
