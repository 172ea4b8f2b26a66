"""The JSON report is encoded item by item: the same text as encoding the whole report data, one
finding or error per line, and an empty list as ``[]``."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from iacgate.report.json_report import dumps, render, report_data
from iacgate.scan import ScanOptions, scan

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("target", ["examples/plan", "examples/terraform", "tests/fixtures/plan/deleted"])
def test_render_is_the_encoded_report_data(target: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    report = scan([target], ScanOptions())
    assert report.findings
    text = render(report)
    assert text == dumps(report_data(report))
    assert json.loads(text) == report_data(report)
    lines = text.splitlines()
    findings_at = lines.index('  "findings": [')
    for line, finding in zip(lines[findings_at + 1:], report_data(report)["findings"]):
        assert json.loads(line.strip().rstrip(",")) == finding


def test_no_findings_and_no_errors_are_empty_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    report = dataclasses.replace(scan(["examples/plan"], ScanOptions()), findings=[], errors=[])
    text = render(report)
    assert '  "findings": [],\n  "errors": []\n}\n' in text
    assert json.loads(text)["findings"] == [] and json.loads(text)["errors"] == []
