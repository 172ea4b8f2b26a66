"""The synthetic benchmark workload loads cleanly (the time is printed, not asserted)."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from iacgate.adapters.cloudformation.loader import load_cloudformation

GENERATOR = Path(__file__).parents[2] / "shared" / "bench" / "gen_workload.py"


@pytest.mark.skipif(not GENERATOR.is_file(), reason=f"workload generator not present at {GENERATOR}")
def test_generated_cloudformation_workload_loads(tmp_path):
    subprocess.run([sys.executable, str(GENERATOR), str(tmp_path), "--tf-files", "0", "--cfn-templates", "200",
                    "--plan-resources", "0", "--seed", "1"], check=True, capture_output=True)
    files = sorted((tmp_path / "cloudformation").glob("tpl-*"))
    assert len(files) == 200
    texts = [(str(p), p.read_text(encoding="utf-8")) for p in files]
    started = time.perf_counter()
    results = [load_cloudformation(path, text) for path, text in texts]
    elapsed = time.perf_counter() - started
    managed = [r for result in results for r in result.resources if r.mode == "managed"]
    errors = [e for result in results for e in result.errors if e.kind == "error"]
    print(f"\nloaded {len(files)} templates, {len(managed)} resources in {elapsed:.2f} s")
    assert errors == []
    assert len(managed) >= 1500
    assert all(r.line and r.end_line and r.line <= r.end_line for r in managed)
