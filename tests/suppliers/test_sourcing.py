"""Declared sourcing files (YAML and CSV): equivalence, import into the store, precise errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from iotvet.store import Store
from iotvet.store.models import ComponentSupplier, Product, Supplier, UpstreamRelease
from iotvet.suppliers.problems import FileProblems
from iotvet.suppliers.registry import RegistryError, apply_sourcing
from iotvet.suppliers.sourcing import Sourcing, load_sourcing

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "suppliers"


def _shape(sourcing: Sourcing) -> tuple[object, ...]:
    products = [(p.name, p.line, p.support_end, sorted(p.links())) for p in sourcing.products]
    suppliers = [
        (s.name, s.roles, s.country, s.contact, s.owner, sorted(s.aliases))
        for s in sourcing.suppliers
    ]
    components = [(c.component, c.supplier, c.role, c.products) for c in sourcing.components]
    return suppliers, products, components


def test_yaml_and_csv_examples_declare_the_same_supply_chain() -> None:
    yaml_file = load_sourcing(EXAMPLES / "sourcing.yaml")
    csv_file = load_sourcing(EXAMPLES / "sourcing.csv")
    assert _shape(yaml_file) == _shape(csv_file)
    assert yaml_file.upstream_releases["hostapd"] == {"2.11": date(2024, 7, 20)}


def test_import_is_idempotent(store: Store) -> None:
    sourcing = load_sourcing(EXAMPLES / "sourcing.yaml")
    for _ in range(2):
        with store.session() as session:
            apply_sourcing(session, sourcing)
    with store.session() as session:
        suppliers = {s.name: s for s in session.scalars(select(Supplier))}
        assert set(suppliers) == {
            "Acme Networks",
            "Borealis Manufacturing",
            "Cobalt Silicon",
            "Debian",
        }
        assert suppliers["Acme Networks"].owner == "Acme Holdings plc"
        product = session.scalars(select(Product)).one()
        assert product.support_end == date(2027, 12, 31)
        assert sorted((link.role, link.supplier.name) for link in product.suppliers) == [
            ("chipset-sdk-vendor", "Cobalt Silicon"),
            ("device-maker", "Acme Networks"),
            ("odm", "Borealis Manufacturing"),
        ]
        link = session.scalars(select(ComponentSupplier)).one()
        assert (link.component, link.supplier.name, link.product) == (
            "hostapd",
            "Cobalt Silicon",
            product,
        )
        assert len(session.scalars(select(UpstreamRelease)).all()) == 2


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> dict[str, tuple[int | None, str, str]]:
    with pytest.raises(FileProblems) as info:
        load_sourcing(path)
    return {p.field: (p.line, p.message, p.fix) for p in info.value.problems}


def test_yaml_errors_name_line_field_and_fix(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.yaml",
        """schema: iotvet/sourcing/1
suppliers:
  - name: Acme
    roles: [maker]
products:
  - name: Router
    support_end: next year
    suppliers:
      odm: Borealis
upstream_releases:
  hostapd:
    2.10: 2022-01-16
""",
    )
    found = problems(path)
    line, message, _ = found["suppliers[0].roles[0]"]
    assert line == 4 and "unknown role 'maker'" in message and "device-maker" in message
    line, _, fix = found["products[0].support_end"]
    assert line == 7 and fix == "write a date as YYYY-MM-DD"
    # YAML reads 2.10 as the number 2.1: the user must quote versions
    key = next(k for k in found if k.startswith("upstream_releases.hostapd"))
    assert "quote" in found[key][2]


def test_undeclared_supplier_is_named(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.yaml",
        """schema: iotvet/sourcing/1
suppliers:
  - name: Acme
products:
  - name: Router
    suppliers:
      odm: Borealis
components:
  - component: hostapd
    supplier: acme
    role: chipset-sdk-vendor
""",
    )
    found = problems(path)
    assert list(found) == ["products[0].suppliers.odm"]  # "acme" matches "Acme"
    line, message, fix = found["products[0].suppliers.odm"]
    assert line == 7 and "'Borealis' is not declared" in message
    assert "- name: Borealis" in fix


def test_component_for_unknown_product_is_refused(tmp_path: Path, store: Store) -> None:
    path = write(
        tmp_path,
        "s.yaml",
        """schema: iotvet/sourcing/1
suppliers: [{name: Acme}]
components: [{component: zlib, supplier: Acme, role: odm, products: [Nowhere]}]
""",
    )
    with store.session() as session, pytest.raises(RegistryError, match="Nowhere"):
        apply_sourcing(session, load_sourcing(path))


def test_wrong_schema_and_non_mapping(tmp_path: Path) -> None:
    assert "schema" in problems(write(tmp_path, "a.yaml", "schema: other/1\n"))
    found = problems(write(tmp_path, "b.yaml", "- just\n- a list\n"))
    assert found["(document)"][1] == "the file is not a block of 'key: value' lines"


def test_csv_errors(tmp_path: Path) -> None:
    found = problems(write(tmp_path, "a.csv", "supplier,colour\nAcme,blue\n"))
    assert found["row 0: colour"][1] == "unknown column"
    found = problems(
        write(
            tmp_path,
            "b.csv",
            "supplier,role,product,support_end\nAcme,device-maker,Router,2027-13-01\n"
            ",odm,Router,\nBorealis,,Router,\nCobalt,vendor,,\n",
        )
    )
    assert found["row 1: support_end"][0] == 2
    assert found["row 1: support_end"][2] == "write a date as YYYY-MM-DD"
    assert found["row 2: supplier"][1] == "Field required"
    assert found["row 3: role"][1] == "a link needs a role"
    assert "unknown role 'vendor'" in found["row 4: role"][1]
