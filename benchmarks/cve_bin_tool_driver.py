"""Run cve-bin-tool's offline VersionScanner over one extracted tree; write JSON to a file.

Executed with the Python of cve-bin-tool's own virtual environment (see peers.py), never imported
by iotvet. cve-bin-tool's CLI refuses to run without its CVE database, but ``VersionScanner`` works
offline; its sqlite checker downloads a version table at first use, so an empty, fresh table is
written first into a private HOME.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import sys
import time
from pathlib import Path


def prepare_cache(home: Path) -> None:
    cache = home / ".cache" / "cve-bin-tool"
    cache.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(cache / "version_map.db") as con:
        con.execute("CREATE TABLE IF NOT EXISTS sqlite(version TEXT, sourceId TEXT PRIMARY KEY)")
        con.execute(
            "CREATE TABLE IF NOT EXISTS latest_update_sqlite (datestamp DATETIME PRIMARY KEY)"
        )
        con.execute("DELETE FROM latest_update_sqlite")
        con.execute("INSERT INTO latest_update_sqlite VALUES (?)", (time.time(),))


def main() -> None:
    home, tree, result = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    os.environ["HOME"] = str(home)
    prepare_cache(home)
    from cve_bin_tool.version_scanner import VersionScanner  # after HOME is set

    logging.disable(logging.CRITICAL)

    scanner = VersionScanner(validate=False)
    found: list[dict[str, str]] = []
    started = time.perf_counter()
    for directory, _dirs, files in os.walk(tree):
        for name in files:
            path = os.path.join(directory, name)
            for info in scanner.scan_file(path):
                product = info.product_info
                found.append(
                    {
                        "vendor": product.vendor,
                        "product": product.product,
                        "version": product.version,
                        "path": "/" + os.path.relpath(path, tree),
                    }
                )
    elapsed = time.perf_counter() - started
    summary = {"seconds": elapsed, "files": scanner.total_scanned_files, "found": found}
    result.write_text(json.dumps(summary))


if __name__ == "__main__":
    main()
