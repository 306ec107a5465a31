"""Command line: ``iotvet vulndb update|import|stats|vex-import|vex-list`` and ``iotvet vulns``.

``app`` is a Typer sub-application (mounted as ``iotvet vulndb``); :func:`vulns_command` is the
``iotvet vulns SBOM_FILE`` command. Exit codes follow DESIGN.md: 0 done, 1 done and the
``--fail-on`` policy tripped (or an update could not download), 2 usage or input error.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ..console import console, out
from ..model import Component, Vulnerability
from . import db as dbmod
from .fetch import SOURCES, FetchConfig, FetchError, update
from .match import match_components
from .policy import parse_policy, tripping
from .sbom import SbomError, read_sbom
from .sources import import_paths
from .vex import TriageStore, import_files, write_csaf_vex, write_cyclonedx_vex, write_openvex

app = typer.Typer(
    help="Local vulnerability database: update, import, stats, VEX triage.", no_args_is_help=True
)

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help="Vulnerability DB file (default: $IOTVET_VULNDB or $IOTVET_HOME/vulndb.sqlite).",
    ),
]
VULNS_FORMATS = ("table", "json", "sarif", "openvex", "cyclonedx-vex", "csaf-vex")


def _db(path: Path | None) -> Path:
    return path or dbmod.default_db_path()


@app.command("import")
def import_command(
    paths: Annotated[list[Path], typer.Argument(help="Feed files, folders or zip archives.")],
    db: DbOption = None,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Rebuild from empty instead of adding.")
    ] = False,
) -> None:
    """Import local feed files: NVD 1.1/2.0, CVE 5, OSV, CSAF, KEV, EPSS (any mix)."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        console.print(f"[red]no such file or folder:[/] {', '.join(missing)}")
        raise typer.Exit(2)
    target = _db(db)
    started = time.perf_counter()
    last = [0.0]

    def progress(origin: str, count: int) -> None:
        now = time.perf_counter()
        if now - last[0] > 2:
            last[0] = now
            console.print(f"  {count} records … {Path(origin.split('!')[0]).name}")

    with dbmod.build(target, fresh=fresh) as writer:
        added = import_paths(paths, writer, progress)
        skipped = list(writer.skipped)
    console.print(
        f"imported into {target} in {time.perf_counter() - started:.1f} s: "
        + (", ".join(f"{k} {v}" for k, v in sorted(added.items())) or "no records")
    )
    for origin, reason in skipped[:20]:
        console.print(f"  [yellow]skipped[/] {origin}: {reason}")
    if len(skipped) > 20:
        console.print(f"  … and {len(skipped) - 20} more skipped")


@app.command("update")
def update_command(
    db: DbOption = None,
    source: Annotated[
        list[str] | None,
        typer.Option("--source", "-s", help=f"Feeds to update (repeatable): {', '.join(SOURCES)}."),
    ] = None,
    osv_ecosystem: Annotated[
        list[str] | None,
        typer.Option(
            "--osv-ecosystem", help="OSV ecosystems to download (e.g. OSS-Fuzz, Debian:12)."
        ),
    ] = None,
    nvd_api_key: Annotated[
        str | None,
        typer.Option(
            "--nvd-api-key", envvar="NVD_API_KEY", help="NVD API key (raises the rate limit)."
        ),
    ] = None,
    since: Annotated[
        datetime | None,
        typer.Option(help="Fetch NVD changes since this date instead of since the last sync."),
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Fetch the whole NVD catalogue (fills feed gaps).")
    ] = False,
) -> None:
    """Fetch the live feeds incrementally and update the DB atomically."""
    config = FetchConfig()
    if nvd_api_key:
        config.nvd_api_key = nvd_api_key
    if osv_ecosystem:
        config.osv_ecosystems = list(osv_ecosystem)
    target = _db(db)
    try:
        summary = update(
            target,
            config,
            source or SOURCES,
            since=since,
            full=full,
            progress=lambda msg: console.print(f"  {msg}"),
        )
    except FetchError as exc:
        console.print(f"[red]update failed:[/] {exc}")
        raise typer.Exit(1) from exc
    except ValueError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc
    imported = summary.get("imported") or {}
    console.print(
        f"updated {target}: "
        + (", ".join(f"{k} {v}" for k, v in sorted(imported.items())) or "no new records")
    )


@app.command("stats")
def stats_command(
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Per-source record counts, data dates and fetch times."""
    target = _db(db)
    if not target.exists():
        console.print(
            f"[red]no vulnerability database at {target}[/]: run `iotvet vulndb import` "
            "or `iotvet vulndb update`"
        )
        raise typer.Exit(2)
    with dbmod.VulnDB(target) as vdb:
        stats = vdb.stats()
    if as_json:
        typer.echo(json.dumps(stats, indent=2))
        return
    table = Table(
        title=f"{target} ({stats['size_bytes'] / 1e6:.1f} MB, built "
        f"{stats['info'].get('built_at', '?')})"
    )
    for column in ("source", "records", "data date", "fetched at", "origin"):
        table.add_column(column)
    for row in stats["sources"]:
        origin = str(row["origin"] or "")
        table.add_row(
            row["source"],
            str(row["records"]),
            str(row["data_date"] or "-"),
            str(row["fetched_at"] or "-"),
            origin if len(origin) < 60 else origin[:57] + "…",
        )
    out.print(table)


@app.command("vex-import")
def vex_import_command(
    files: Annotated[list[Path], typer.Argument(help="OpenVEX, CycloneDX VEX or CSAF VEX files.")],
    db: DbOption = None,
) -> None:
    """Store VEX statements as triage decisions (kept beside the DB, survive updates)."""
    path = dbmod.triage_path_for(_db(db))
    with TriageStore(path) as store:
        stored, skipped = import_files(files, store)
    console.print(f"{stored} statement(s) stored in {path}")
    for origin, reason in skipped:
        console.print(f"  [yellow]skipped[/] {origin}: {reason}")
    if skipped and not stored:
        raise typer.Exit(2)


@app.command("vex-list")
def vex_list_command(db: DbOption = None) -> None:
    """List stored triage decisions."""
    path = dbmod.triage_path_for(_db(db))
    if not path.exists():
        console.print("no triage decisions stored")
        return
    with TriageStore(path) as store:
        for st in store.statements():
            typer.echo(f"{st.vuln_id}\t{st.product}\t{st.status}\t{st.justification or ''}")


def render_vulns(
    fmt: str,
    vulns: list[Vulnerability],
    components: list[Component],
    meta: dict[str, Any],
    target: str,
) -> str:
    """Text of ``iotvet vulns`` in one of :data:`VULNS_FORMATS` (except ``table``)."""
    if fmt == "json":
        payload = {
            "schema": "iotvet/vulns/1",
            "target": target,
            "vulnerability_data": meta,
            "components": [c.model_dump(exclude_none=True) for c in components],
            "vulnerabilities": [v.model_dump() for v in vulns],
        }
        return json.dumps(payload, indent=2, default=str) + "\n"
    if fmt == "sarif":
        from ..report.sarif import sarif_document

        return json.dumps(sarif_document([], vulns, components, target=target), indent=2) + "\n"
    if fmt == "openvex":
        return json.dumps(write_openvex(vulns, components), indent=2) + "\n"
    if fmt == "cyclonedx-vex":
        return write_cyclonedx_vex(vulns, components) + "\n"
    if fmt == "csaf-vex":
        return json.dumps(write_csaf_vex(vulns, components), indent=2) + "\n"
    raise ValueError(f"unknown format {fmt!r}")


def _print_table(vulns: list[Vulnerability], meta: dict[str, Any]) -> None:
    table = Table(title=f"{len(vulns)} vulnerabilities")
    for column in ("id", "component", "severity", "cvss", "kev", "epss", "status", "fixed in"):
        table.add_column(column)
    for v in vulns:
        table.add_row(
            v.id,
            v.component,
            v.severity or "-",
            f"{v.cvss.score:.1f}" if v.cvss else "-",
            "yes" if v.kev else "",
            f"{v.epss:.3f}" if v.epss is not None else "",
            v.status,
            ", ".join(v.fixed_in),
        )
    out.print(table)
    for row in meta.get("sources") or []:
        out.print(
            f"  data: {row['source']} {row['records']} records, data date "
            f"{row['data_date'] or '?'}, fetched {row['fetched_at']}"
        )
    for note in meta.get("notes") or []:
        out.print(f"  note: {note}")


def vulns_command(
    sbom_file: Annotated[Path, typer.Argument(help="CycloneDX or SPDX SBOM from any tool.")],
    db: DbOption = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help=f"Output: {', '.join(VULNS_FORMATS)}.")
    ] = "table",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file.")
    ] = None,
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            help="Exit 1 when an affected vulnerability matches: critical, high, "
            "medium, low (that or worse) and/or kev; comma-separated.",
        ),
    ] = None,
) -> None:
    """Match the components of an SBOM against the vulnerability DB."""
    if fmt not in VULNS_FORMATS:
        console.print(f"[red]unknown format {fmt!r}[/]; choose from {', '.join(VULNS_FORMATS)}")
        raise typer.Exit(2)
    if fail_on:
        try:
            parse_policy(fail_on)
        except ValueError as exc:
            console.print(f"[red]{exc}[/]")
            raise typer.Exit(2) from exc
    try:
        components = read_sbom(sbom_file)
    except SbomError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc
    vulns, meta = match_components(components, _db(db))
    if not meta.get("available"):
        console.print(f"[yellow]{meta.get('note')}[/]")
    if fmt == "table" and output is None:
        _print_table(vulns, meta)
    else:
        text = render_vulns(
            "json" if fmt == "table" else fmt, vulns, components, meta, str(sbom_file)
        )
        if output is None:
            typer.echo(text, nl=False)
        else:
            output.write_text(text, encoding="utf-8")
            console.print(f"wrote {output}")
    if fail_on:
        offending = tripping(vulns, fail_on)
        if offending:
            console.print(
                f"[red]--fail-on {fail_on}: {len(offending)} vulnerabilities[/] "
                f"(e.g. {offending[0].id} in {offending[0].component})"
            )
            raise typer.Exit(1)
