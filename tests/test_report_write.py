"""A report written to a stream is the rendered text, byte for byte: the JSON report is written
piece by piece as it is encoded (never held whole), every other format as rendered."""
from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from iacgate.report import FORMATS, json_report, render, write
from iacgate.scan import ScanOptions, scan

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("fmt", FORMATS)
def test_written_report_is_the_rendered_text(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(json_report, "_WRITE_CHARS", 64)  # many writes
    report = scan(["examples/plan", "tests/fixtures/plan/deleted"], ScanOptions())
    assert report.findings and report.errors
    text = render(report, fmt)
    for final_newline in (False, True):
        out = io.StringIO()
        write(report, fmt, out, final_newline=final_newline)
        expected = text + "\n" if final_newline and not text.endswith("\n") else text
        assert out.getvalue() == expected


def test_json_report_on_stdout_and_in_a_file_are_the_same(tmp_path: Path) -> None:
    report_file = tmp_path / "report.json"
    base = [sys.executable, "-m", "iacgate", "check", "examples/plan", "--no-cache"]
    to_stdout = subprocess.run([*base, "-f", "json"], cwd=ROOT, capture_output=True, text=True, check=False)
    to_file = subprocess.run([*base, "-o", f"json={report_file}"], cwd=ROOT, capture_output=True, text=True,
                             check=False)
    assert to_stdout.returncode == to_file.returncode == 1, to_stdout.stderr + to_file.stderr
    assert to_stdout.stdout == report_file.read_text(encoding="utf-8")
    assert to_stdout.stdout.startswith("{\n") and to_stdout.stdout.endswith("\n}\n")
