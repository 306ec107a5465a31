"""The declaration file: template, loading, and errors that name the file, the field and the fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from corpus_reports import DATA

from iotvet.standards.declarations import (
    DeclarationError,
    Declarations,
    Statement,
    field_paths,
    load_declarations,
    template,
    write_template,
)


def _leaf_paths(node: Any, prefix: str = "") -> set[str]:
    paths: set[str] = set()
    if isinstance(node, dict) and node:
        for key, value in node.items():
            path = f"{prefix}{key}"
            paths.add(path)
            paths |= _leaf_paths(value, f"{path}.")
    return paths


def test_template_has_every_field_and_loads_as_an_empty_declaration(tmp_path: Path) -> None:
    path = write_template('Acme "AX1800": router', tmp_path / "decl.yaml")
    text = path.read_text()
    assert _leaf_paths(yaml.safe_load(text)) == field_paths()
    decl = load_declarations(path)
    assert decl.product.name == 'Acme "AX1800": router'
    assert decl.support_period.end_date is None
    assert decl.practices.risk_assessment.implemented is None
    # every field is explained to the person filling it in
    body = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    assert all("#" in line for line in body if not line.rstrip().endswith(":")), "uncommented"


def test_template_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "decl.yaml"
    path.write_text("keep me")
    with pytest.raises(FileExistsError):
        write_template("X", path)
    assert path.read_text() == "keep me"


def test_complete_and_partial_fixtures_load() -> None:
    complete = load_declarations(DATA / "complete.yaml")
    assert complete.support_period.end_date is not None
    assert complete.capabilities.input_validation.implemented is True
    assert complete.ics["5.7-1"].support == "N"
    partial = load_declarations(DATA / "partial.yaml")
    assert partial.updates.automatic is None
    assert partial.vulnerability_disclosure.contact == "security@dunmore.example"


def test_malformed_fixture_names_file_line_field_and_fix() -> None:
    path = DATA / "malformed.yaml"
    with pytest.raises(DeclarationError) as err:
        load_declarations(path)
    problems = {p.field: p for p in err.value.problems}
    assert set(problems) == {
        "product.modle",
        "support_period.end_date",
        "updates.automatic",
        "vulnerability_disclosure.contact",
    }
    lines = path.read_text().splitlines()
    for field, problem in problems.items():
        assert problem.line is not None
        assert lines[problem.line - 1].strip().startswith(field.rsplit(".", 1)[1] + ":")
        assert problem.fix
        assert f"{path}:{problem.line}: {field}:" in str(err.value)
    assert "did you mean 'model'" in problems["product.modle"].fix
    assert "YYYY-MM-DD" in problems["support_period.end_date"].fix
    assert "true or false" in problems["updates.automatic"].fix


@pytest.mark.parametrize(
    ("content", "field", "needle"),
    [
        (
            "product: {name: X}\npractices:\n  risk_assessment: {implemented: true}\n",
            "practices.risk_assessment",
            "detail",
        ),
        ('product: {name: X}\nics:\n  "5.1-9": {support: Y}\n', "ics", "5.6-9"),
        ('product: {name: X}\nics:\n  "5.1-1": {support: maybe}\n', "ics.5.1-1.support", "Y"),
        (
            "product: {name: X}\nsupport_period:\n  published_url: example.com\n",
            "support_period.published_url",
            "https://",
        ),
        (
            "product: {name: X}\nupdates:\n  kept_available_years: -1\n",
            "updates.kept_available_years",
            "positive",
        ),
        ("schema: iotvet/declarations/9\nproduct: {name: X}\n", "schema", "iotvet/declarations/1"),
        ("support_period: {}\n", "product", "add"),
    ],
)
def test_each_problem_is_explained(tmp_path: Path, content: str, field: str, needle: str) -> None:
    path = tmp_path / "d.yaml"
    path.write_text(content)
    with pytest.raises(DeclarationError) as err:
        load_declarations(path)
    problems = [p for p in err.value.problems if p.field == field]
    assert problems, str(err.value)
    assert needle in problems[0].message + problems[0].fix


def test_yaml_syntax_error_reports_the_line(tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    path.write_text("product:\n  name: X\n  model: [unclosed\nupdates: {}\n")
    with pytest.raises(DeclarationError) as err:
        load_declarations(path)
    assert err.value.problems[0].field == "(syntax)"
    assert err.value.problems[0].line is not None


@pytest.mark.parametrize("content", ["", "- a list\n", "just text\n"])
def test_not_a_mapping(tmp_path: Path, content: str) -> None:
    path = tmp_path / "d.yaml"
    path.write_text(content)
    with pytest.raises(DeclarationError) as err:
        load_declarations(path)
    assert "iotvet declare init" in err.value.problems[0].fix


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DeclarationError) as err:
        load_declarations(tmp_path / "nope.yaml")
    assert str(tmp_path / "nope.yaml") in str(err.value)


def test_empty_blocks_and_dotted_lookup() -> None:
    decl = Declarations.model_validate({"product": {"name": "X"}, "updates": None, "ics": None})
    assert decl.get("updates.automatic") is None
    assert decl.get("product.name") == "X"
    assert decl.get("no.such.path") is None
    assert isinstance(decl.get("capabilities.secure_boot"), Statement)


def test_template_is_valid_yaml_for_odd_product_names() -> None:
    for name in ["a: b", "#hash", 'quote\'d "x"', "ünïcode ✓", "- dash"]:
        assert yaml.safe_load(template(name))["product"]["name"] == name
