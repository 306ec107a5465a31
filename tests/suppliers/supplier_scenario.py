"""The test scenario: four corpus images as successive releases of one product, plus a small
vulnerability feed written by hand so every expected metric can be worked out on paper.

The vulnerability records are fictitious (ids CVE-2099-NNNN) but go through the project's own
NVD 1.1 / KEV importers and its matcher, so the test follows the path real data takes. Each
record targets a component that the corpus truth files place in some images and not in others:

    release  image (truth file)     released    hostapd miniupnpd mosquitto openvpn expat busybox
    1.0      acme_ax1800 …          2023-01-15     x        x                               x
    1.1      borealis_igw640 …      2023-05-15                        x             x       x
    1.2      cobalt_cv200 …         2023-11-15                                x             x
    2.0      dunmore_ds2 …          2024-06-01                                      x       x
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from corpus import CORPUS

PRODUCT = "Acme AX1800"
AS_OF = date(2024, 9, 1)

#: (version, image file, release date)
RELEASES: list[tuple[str, str, date]] = [
    ("1.0", "acme_ax1800_v1.4.2_r18233.uimg", date(2023, 1, 15)),
    ("1.1", "borealis_igw640_fw_3.2.0.jffs2", date(2023, 5, 15)),
    ("1.2", "cobalt_cv200_initramfs_2.0.7.cpio.gz", date(2023, 11, 15)),
    ("2.0", "dunmore_ds2_rootfs_5.1.3.ext4.xz", date(2024, 6, 1)),
]

CRITICAL = ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "CRITICAL")
HIGH = ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5, "HIGH")
MEDIUM = ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N", 6.5, "MEDIUM")

#: id → (component, CPE vendor:product, fixed version (exclusive end), published, CVSS)
RECORDS: dict[str, tuple[str, str, str, str, tuple[str, float, str]]] = {
    "CVE-2099-0001": ("hostapd", "w1.fi:hostapd", "2.11", "2022-12-01", CRITICAL),
    "CVE-2099-0002": ("miniupnpd", "miniupnp_project:miniupnpd", "2.3.4", "2023-03-10", HIGH),
    "CVE-2099-0003": ("mosquitto", "eclipse:mosquitto", "2.0.16", "2023-04-01", HIGH),
    "CVE-2099-0004": ("openvpn", "openvpn:openvpn", "2.6.15", "2024-01-10", MEDIUM),
    "CVE-2099-0005": ("expat", "libexpat_project:libexpat", "2.6.0", "2023-08-01", CRITICAL),
    "CVE-2099-0006": ("busybox", "busybox:busybox", "1.37.0", "2023-06-20", HIGH),
}
#: id → date CISA added it to KEV
KEV = {"CVE-2099-0001": "2023-02-15", "CVE-2099-0006": "2024-01-05"}
#: upstream release dates of fixed versions (start the "from upstream fix" clock)
UPSTREAM = {"hostapd": {"2.11": date(2023, 3, 1)}, "mosquitto": {"2.0.16": date(2023, 8, 16)}}


def image(name: str) -> Path:
    path = CORPUS / name
    assert path.exists(), f"corpus image {path} is missing: the tests need ../shared"
    return path


def truth_components(name: str) -> set[str]:
    truth = json.loads((CORPUS / f"{name}.truth.json").read_text())
    return {c["name"] for c in truth["components"]}


def truth_theme(name: str, theme: str) -> str:
    truth = json.loads((CORPUS / f"{name}.truth.json").read_text())
    return str(truth["themes"][theme]["result"]).lower()


def write_feed(folder: Path) -> None:
    """The hand-written NVD 1.1 feed and KEV catalog of the scenario."""
    folder.mkdir(parents=True, exist_ok=True)
    items = []
    for vid, (_, pair, fixed, published, (vector, score, severity)) in RECORDS.items():
        cpe = f"cpe:2.3:a:{pair}:*:*:*:*:*:*:*:*"
        items.append(
            {
                "cve": {
                    "CVE_data_meta": {"ID": vid},
                    "description": {"description_data": [{"lang": "en", "value": "test"}]},
                },
                "configurations": {
                    "nodes": [
                        {
                            "operator": "OR",
                            "cpe_match": [
                                {"vulnerable": True, "cpe23Uri": cpe, "versionEndExcluding": fixed}
                            ],
                        }
                    ]
                },
                "impact": {
                    "baseMetricV3": {
                        "cvssV3": {
                            "version": "3.1",
                            "vectorString": vector,
                            "baseScore": score,
                            "baseSeverity": severity,
                        }
                    }
                },
                "publishedDate": f"{published}T10:00Z",
                "lastModifiedDate": f"{published}T10:00Z",
            }
        )
    feed = {
        "CVE_data_type": "CVE",
        "CVE_data_format": "MITRE",
        "CVE_data_version": "4.0",
        "CVE_data_timestamp": "2024-08-01T00:00Z",
        "CVE_Items": items,
    }
    (folder / "nvdcve-1.1-scenario.json").write_text(json.dumps(feed))
    kev = {
        "catalogVersion": "2024.08.01",
        "dateReleased": "2024-08-01T00:00:00Z",
        "vulnerabilities": [
            {
                "cveID": vid,
                "dateAdded": added,
                "dueDate": added,
                "knownRansomwareCampaignUse": "Unknown",
                "vulnerabilityName": "test",
                "requiredAction": "test",
            }
            for vid, added in KEV.items()
        ],
    }
    (folder / "known_exploited_vulnerabilities.json").write_text(json.dumps(kev))
