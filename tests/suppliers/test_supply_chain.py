"""Supplier links derived from scans, firmware recording, and the impact query."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from supplier_scenario import PRODUCT, RELEASES
from supplier_scenario import image as corpus_image

from iotvet.model import Component, Report
from iotvet.store import Store
from iotvet.store.models import ComponentSupplier, FirmwareVersion, Supplier
from iotvet.suppliers.impact import impact, in_range
from iotvet.suppliers.links import cpe_vendor, derive_links
from iotvet.suppliers.registry import add_firmware, apply_sourcing, ensure_product, rematch
from iotvet.suppliers.sourcing import load_sourcing

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "suppliers"
BOREALIS = RELEASES[1][1]


def _truth(name: str) -> dict[str, dict[str, str]]:
    truth = json.loads(corpus_image(name).with_name(f"{name}.truth.json").read_text())
    return {c["name"]: c for c in truth["components"]}


def test_derived_links_of_a_debian_based_image(release_reports: dict[str, Report]) -> None:
    """Borealis ships a dpkg database: its packages are Debian's, per the truth's purls."""
    links = derive_links(release_reports["1.1"].components)
    distribution = {link.component for link in links if link.role == "distribution"}
    truth = _truth(BOREALIS)
    debian_in_truth = {n for n, c in truth.items() if c["purl"].startswith("pkg:deb/debian/")}
    # every component the scan attributed to a Debian package links to Debian, and only those
    assert distribution
    assert distribution <= debian_in_truth
    assert all(link.supplier == "Debian" for link in links if link.role == "distribution")
    mosquitto = next(
        link for link in links if link.component == "mosquitto" and link.role == "distribution"
    )
    assert "maintainer Roger A. Light <roger@atchoo.org>" in mosquitto.detail
    assert mosquitto.email == "roger@atchoo.org"
    upstream = {(link.component, link.supplier) for link in links if link.source == "cpe-vendor"}
    assert ("mosquitto", "eclipse") in upstream and ("openssl", "openssl") in upstream


def test_links_without_a_distribution() -> None:
    links = derive_links(
        [
            Component(name="libfoo", version="1", supplier="Foo Corp <sec@foo.example>"),
            Component(name="bar", cpe="cpe:2.3:a:bar\\:inc:bar:1:*:*:*:*:*:*:*"),
            Component(name="baz", purl="pkg:generic/baz@1", cpe="not a cpe"),
        ]
    )
    assert [(link.supplier, link.role, link.source) for link in links] == [
        ("Foo Corp", "unclassified", "sbom-supplier"),
        ("bar:inc", "open-source-project", "cpe-vendor"),
    ]
    assert cpe_vendor("cpe:2.3:a:*:x:1:*:*:*:*:*:*:*") is None


def _record_all(store: Store, reports: dict[str, Report]) -> None:
    with store.session() as session:
        apply_sourcing(session, load_sourcing(EXAMPLES / "sourcing.yaml"))
        product = ensure_product(session, PRODUCT)
        for version, _, released in RELEASES:
            add_firmware(session, product, version, released, reports[version])


def test_recording_firmware_resolves_declared_suppliers(
    store: Store, release_reports: dict[str, Report]
) -> None:
    _record_all(store, release_reports)
    with store.session() as session:
        debian = session.scalars(select(Supplier).where(Supplier.name == "Debian")).one()
        assert debian.origin == "declared"
        components = {link.component for link in debian.component_links}
        assert {"mosquitto", "busybox", "expat"} <= components
        # the declared hostapd link wins over the CPE vendor w1.fi
        hostapd = session.scalars(
            select(ComponentSupplier).where(ComponentSupplier.component == "hostapd")
        ).all()
        assert [(link.supplier.name, link.source) for link in hostapd] == [
            ("Cobalt Silicon", "declared")
        ]
        openssl = session.scalars(
            select(ComponentSupplier).where(
                ComponentSupplier.component == "openssl",
                ComponentSupplier.source == "cpe-vendor",
            )
        ).one()
        assert openssl.supplier.origin == "derived" and openssl.supplier.name == "openssl"
        firmware = session.scalars(
            select(FirmwareVersion).where(FirmwareVersion.version == "1.0")
        ).one()
        assert firmware.image_sha256 == release_reports["1.0"].target.sha256
        assert firmware.image_name == RELEASES[0][1]


def test_rescan_adds_a_scan_to_the_same_version(
    store: Store, release_reports: dict[str, Report]
) -> None:
    _record_all(store, release_reports)
    with store.session() as session:
        product = ensure_product(session, PRODUCT)
        again = add_firmware(session, product, "1.0", None, release_reports["1.0"])
        assert len(again.scans) == 2 and again.released == RELEASES[0][2]


def test_impact_query(store: Store, release_reports: dict[str, Report]) -> None:
    _record_all(store, release_reports)
    with store.session() as session:
        everything = impact(session, "busybox", "1.35.0")
        assert [h.firmware for h in everything.hits] == ["1.0", "1.1", "1.2", "2.0"]
        assert everything.shipping == [PRODUCT]
        assert "Acme Networks (device-maker)" in everything.suppliers
        assert impact(session, "busybox", "1.34.1").hits == []
        assert impact(session, "busybox", "1.36", min_version="1.35.1").hits == []
        # expat is in 1.1 and 2.0 (truth files); 2.0 is the newest release, so still shipping
        expat = impact(session, "expat", "2.5.0")
        assert [h.firmware for h in expat.hits] == ["1.1", "2.0"]
        assert [h.newest_firmware for h in expat.hits] == [False, True]
        # hostapd only in 1.0: a product no longer shipping it
        hostapd = impact(session, "hostapd", "2.10")
        assert [h.firmware for h in hostapd.hits] == ["1.0"] and hostapd.shipping == []
        assert any("Cobalt Silicon (chipset-sdk-vendor, hostapd)" in s for s in hostapd.suppliers)
        # versions are compared as versions: 3.0.20 > 3.0.9 although "3.0.20" < "3.0.9" as text
        assert impact(session, "openssl", "3.0.9").hits == []
        assert len(impact(session, "OpenSSL", "3.0.20").hits) == 4
        # a distribution package name finds its component (Borealis has a dpkg database)
        assert [h.firmware for h in impact(session, "libexpat1", "2.5.0").hits] == ["1.1"]


def test_version_range() -> None:
    assert in_range("1.1.1w", "1.1.1w") and not in_range("1.1.1w", "1.1.1v")
    assert in_range("2022.83", "2024.84", "2022.83")
    assert not in_range("9.0p1", "9.0")


def test_rematch_keeps_decisions_taken_from_the_firmware_contents(
    store: Store, release_reports: dict[str, Report], scenario_db: Path
) -> None:
    report = release_reports["1.1"].model_copy(deep=True)
    for vuln in report.vulnerabilities:
        if vuln.id == "CVE-2099-0006":
            vuln.status = "not_affected"
            vuln.justification = "vulnerable_code_not_present"
            vuln.reason = "applets of the CVE are not in /bin/busybox"
    with store.session() as session:
        product = ensure_product(session, PRODUCT)
        add_firmware(session, product, "1.1", RELEASES[1][2], report)
        assert rematch(session, scenario_db) == 1
        scan = session.scalars(select(FirmwareVersion)).one().latest_scan
        assert scan is not None
        statuses = {v.vuln_id: v.status for v in scan.vulnerabilities}
    assert statuses == {
        "CVE-2099-0003": "affected",
        "CVE-2099-0005": "affected",
        "CVE-2099-0006": "not_affected",
    }
