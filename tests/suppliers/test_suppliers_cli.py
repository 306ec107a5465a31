"""The supplier commands end to end: import, product, firmware, questionnaire, report, impact.

The sub-apps are mounted with ``register``, as ``iotvet.cli`` mounts them. The scenario's
releases are recorded from their scan reports (``firmware add --report``) and re-matched against the
scenario's vulnerability DB by ``suppliers report --vulndb``; the scorecard's numbers are then
checked against the hand-computed scenario values and the corpus truth.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import typer
from supplier_scenario import AS_OF, PRODUCT, RELEASES, truth_theme
from typer.testing import CliRunner

from iotvet.model import Report, Target, Tool
from iotvet.store import open_store
from iotvet.suppliers.cli import register
from iotvet.suppliers.registry import find_product

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "suppliers"

app = typer.Typer()
register(app)
runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("IOTVET_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("IOTVET_DATABASE_URL", raising=False)
    monkeypatch.setenv("IOTVET_VULNDB", str(tmp_path / "no-vulndb.sqlite"))
    return tmp_path


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output + (result.stderr or "")
    return result.stdout + result.stderr


@pytest.fixture
def recorded(env: Path, release_reports: dict[str, Report]) -> Path:
    """Sourcing imported, the four releases recorded WITHOUT vulnerabilities (a re-match adds
    them), Acme's questionnaire stored."""
    run("suppliers", "import", str(EXAMPLES / "sourcing.yaml"))
    for version, _, released in RELEASES:
        report = release_reports[version].model_copy(update={"vulnerabilities": []})
        path = env / f"report-{version}.json"
        path.write_text(report.to_json())
        output = run(
            "firmware", "add", PRODUCT, version, "--report", str(path), "--released", str(released)
        )
        assert f"recorded {PRODUCT} {version}" in output
    output = run("suppliers", "questionnaire", "score", str(EXAMPLES / "answers-acme.yaml"))
    assert "questionnaire score of Acme Networks" in output
    return env


def test_scorecard_json(recorded: Path, scenario_db: Path) -> None:
    out = recorded / "report.json"
    output = run(
        "suppliers", "report", "--as-of", str(AS_OF), "--vulndb", str(scenario_db), "-o", str(out)
    )
    assert "re-matched 4 firmware scan(s)" in output
    report = json.loads(out.read_text())
    assert report["schema"] == "iotvet/suppliers-report/1"
    acme = next(s for s in report["suppliers"] if s["name"] == "Acme Networks")
    metrics = acme["metrics"]
    assert acme["measured_products"] == [PRODUCT]
    assert metrics["update_timeliness"]["classes"]["critical"]["median_days"] == 135.5
    assert metrics["kev_exposure"]["total_days"] == 329
    claims = {c["question"]: c for c in acme["claims"]}
    # "critical fixes within 30 days" vs 106 and 165 days → median 135.5: contradicted
    assert claims["vm.critical-fix-days"]["status"] == "contradicted"
    assert claims["vm.critical-fix-days"]["measured"] == 135.5
    assert any(
        "CVE-2099-0001" in f and "165 days" in f for f in claims["vm.critical-fix-days"]["facts"]
    )
    assert claims["vm.kev-fix-days"]["status"] == "contradicted"  # 89 > 14
    assert claims["vm.no-known-critical-at-release"]["status"] == "contradicted"  # 2 > 0
    assert claims["vm.high-fix-days"]["status"] == "consistent"  # 147 ≤ 180
    assert claims["vm.update-interval-days"]["status"] == "consistent"  # 199 ≤ 200
    latest_image = RELEASES[-1][1]
    for question, theme in (
        ("integ.signed-updates", "software-update-integrity"),
        ("integ.no-default-passwords", "no-universal-default-password"),
    ):
        expected = "contradicted" if truth_theme(latest_image, theme) == "fail" else "consistent"
        assert claims[question]["status"] == expected
    hardening = claims["dev.binary-hardening"]
    assert hardening["status"] == ("contradicted" if hardening["measured"] < 90 else "consistent")
    contradicted = sum(1 for c in acme["claims"] if c["status"] == "contradicted")
    score = acme["score"]
    assert score["contradictions"] == contradicted and score["penalty"] == min(25, 5 * contradicted)
    halves = [c for c in score["contributions"] if c["part"] in ("questionnaire", "measured")]
    assert score["score"] == round(sum(c["points"] for c in halves) - score["penalty"], 1)
    product = report["products"][0]
    assert [r["version"] for r in product["releases"]] == ["1.0", "1.1", "1.2", "2.0"]
    assert [r["vulnerabilities"] for r in product["releases"]] == [3, 3, 2, 2]
    assert product["risk"]["risk"] is not None


def test_scorecard_html_and_pdf(recorded: Path, scenario_db: Path) -> None:
    html = recorded / "report.html"
    run(
        "suppliers",
        "report",
        "-f",
        "html",
        "--as-of",
        str(AS_OF),
        "--vulndb",
        str(scenario_db),
        "-o",
        str(html),
    )
    text = html.read_text()
    assert text.count("data:image/svg+xml;base64,") >= 3  # debt + latency, latency on the card
    assert "CVE-2099-0006" in text and "contradicted" in text
    pdf = recorded / "report.pdf"
    run(
        "suppliers",
        "report",
        "-f",
        "pdf",
        "--as-of",
        str(AS_OF),
        "-o",
        str(pdf),
        "--supplier",
        "Acme Networks",
        "--no-rematch",
    )
    assert pdf.read_bytes().startswith(b"%PDF")


def test_policy_window_option(recorded: Path, scenario_db: Path) -> None:
    out = recorded / "w.json"
    run(
        "suppliers",
        "report",
        "--as-of",
        str(AS_OF),
        "--vulndb",
        str(scenario_db),
        "--window",
        "high=240",
        "-o",
        str(out),
    )
    acme = next(s for s in json.loads(out.read_text())["suppliers"] if s["name"] == "Acme Networks")
    assert acme["metrics"]["vulnerability_control"]["high"]["in_window"] == 2
    run("suppliers", "report", "--window", "urgent=3", code=2)


def test_without_rematch_the_stored_vulnerabilities_count(recorded: Path) -> None:
    out = recorded / "plain.json"
    run("suppliers", "report", "--as-of", str(AS_OF), "-o", str(out))  # no DB at IOTVET_VULNDB
    product = json.loads(out.read_text())["products"][0]
    assert product["metrics"]["update_timeliness"]["exposures"] == []


def test_impact_command(recorded: Path) -> None:
    data = json.loads(run("impact", "expat", "--max-version", "2.5.0", "--format", "json"))
    assert [h["firmware"] for h in data["hits"]] == ["1.1", "2.0"]
    assert data["shipping"] == [PRODUCT]
    table = run("impact", "hostapd", "--max-version", "2.10")
    assert "1 firmware version(s) in 1 product(s); still shipping: none" in table


def test_product_and_firmware_errors(env: Path, tmp_path: Path, scenario_db: Path) -> None:
    run(
        "product",
        "add",
        "Gadget",
        "--supplier",
        "Maker Inc",
        "--supplier",
        "odm=Builder Ltd",
        "--support-end",
        "2030-01-01",
    )
    assert "Gadget" in run("product", "list")
    with open_store() as store, store.session() as session:
        gadget = find_product(session, "Gadget")
        assert gadget is not None and gadget.support_end == date(2030, 1, 1)
        links = sorted((link.role, link.supplier.name) for link in gadget.suppliers)
        assert links == [("device-maker", "Maker Inc"), ("odm", "Builder Ltd")]
    run("product", "add", "Gadget", "--supplier", "vendor=X", code=2)
    run("product", "add", "Gadget", "--support-end", "soon", code=2)
    minimal = tmp_path / "r.json"
    minimal.write_text(Report(tool=Tool(version="0"), target=Target(path="x")).to_json())
    assert "no product 'Nothing'" in run(
        "firmware", "add", "Nothing", "1", "--report", str(minimal), code=2
    )
    assert "no such file" in run(
        "firmware", "add", "Gadget", "1", "--report", str(tmp_path / "none.json"), code=2
    )
    run("firmware", "add", "Gadget", "1", code=2)  # neither IMAGE nor --report
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "x"}')
    assert "not an iotvet JSON report" in run(
        "firmware", "add", "Gadget", "1", "--report", str(bad), code=2
    )
    # scanning a (tiny) extracted directory records its report
    root = tmp_path / "rootfs"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "os-release").write_text('NAME="Gadget OS"\nID=gadgetos\nVERSION_ID=1.0\n')
    output = run(
        "firmware",
        "add",
        "Gadget",
        "1.0",
        str(root),
        "--released",
        "2024-01-01",
        "--vulndb",
        str(scenario_db),
    )
    assert "recorded Gadget 1.0" in output


def test_questionnaire_commands(env: Path) -> None:
    answers = env / "answers.yaml"
    run("suppliers", "questionnaire", "init", "--supplier", "Maker Inc", "-o", str(answers))
    run("suppliers", "questionnaire", "init", "--supplier", "Maker Inc", "-o", str(answers), code=2)
    errors = run("suppliers", "questionnaire", "validate", str(answers), code=2)
    assert "answers.vm.critical-fix-days.answer: not answered" in errors
    assert f"{answers}:" in errors
    valid = run("suppliers", "questionnaire", "validate", str(EXAMPLES / "answers-acme.yaml"))
    assert "all valid" in valid
    run("suppliers", "import", str(env / "missing.yaml"), code=2)
