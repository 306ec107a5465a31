"""Fixtures: the sample reports of ``report_samples``."""

from __future__ import annotations

import pytest
from report_samples import (
    make_binary_text_report,
    make_empty_report,
    make_sample_report,
    make_weird_report,
)

from iotvet.model import Report


@pytest.fixture
def sample_report() -> Report:
    return make_sample_report()


@pytest.fixture
def weird_report() -> Report:
    return make_weird_report()


@pytest.fixture(params=["sample", "weird", "binary-text", "empty"])
def any_report(request: pytest.FixtureRequest) -> Report:
    makers = {
        "sample": make_sample_report,
        "weird": make_weird_report,
        "binary-text": make_binary_text_report,
        "empty": make_empty_report,
    }
    return makers[request.param]()
