"""Parsing Terraform in a process pool gives exactly the serial results; a failing worker becomes
per-file input errors; the per-file parse bound stops oversized HCL before it is parsed."""
from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_tf_support import scan

from iacgate import workers
from iacgate.adapters.terraform import loader as tf_loader
from iacgate.adapters.terraform.loader import (
    HCL_MAX_BYTES,
    TerraformOptions,
    load_terraform,
    parse_sources,
)
from iacgate.load import LoadOptions
from iacgate.raw import LoadResult
from iacgate.report import render
from iacgate.scan import ScanOptions
from iacgate.scan import scan as scan_paths

BUCKET = """
resource "aws_s3_bucket" "b{n}" {{
  bucket = "${{var.prefix}}-{n}"
  tags = {{
    team = "data"
    index = {n}
  }}
}}

resource "aws_s3_bucket_acl" "b{n}" {{
  bucket = aws_s3_bucket.b{n}.id
  acl    = "{acl}"
}}

resource "aws_s3_bucket_policy" "b{n}" {{
  bucket = aws_s3_bucket.b{n}.id
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Principal = "*"
      Action    = ["s3:GetObject"]
      Resource  = "${{aws_s3_bucket.b{n}.arn}}/*"
    }}]
  }})
}}
"""


def write_stack(root: Path, files: int, buckets_per_file: int) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "variables.tf").write_text('variable "prefix" {\n  default = "acme"\n}\n', encoding="utf-8")
    for f in range(files):
        text = "".join(BUCKET.format(n=f * 100 + b, acl="public-read" if b % 3 == 0 else "private")
                       for b in range(buckets_per_file))
        (root / f"s3_{f:02d}.tf").write_text(text, encoding="utf-8")


def snapshot(result: LoadResult) -> tuple[list[dict], list, list[str]]:
    return ([dataclasses.asdict(r) for r in result.resources], list(result.errors), list(result.files))


@pytest.fixture
def small_pool_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tf_loader, "POOL_MIN_FILES", 2)
    monkeypatch.setattr(tf_loader, "POOL_MIN_BYTES", 1)


def test_pool_only_for_batches_worth_it() -> None:
    tiny = [("a.tf", b"x = 1\n")] * 20
    big = [(f"{i}.tf", b"#" * 40_000) for i in range(10)]
    assert tf_loader.pool_size(tiny, 4) == 1
    assert tf_loader.pool_size(big[:3], 4) == 1
    assert tf_loader.pool_size(big, 4) == 4
    assert tf_loader.pool_size(big, 1) == 1
    assert tf_loader.pool_size(big, None) == min(os.cpu_count() or 1, 10)


def test_pool_results_identical_to_serial(tmp_path: Path, small_pool_threshold: None) -> None:
    write_stack(tmp_path / "stack", files=6, buckets_per_file=4)
    (tmp_path / "stack" / "broken.tf").write_text('resource "aws_s3_bucket" "x" {\n  bucket = \n}\n',
                                                  encoding="utf-8")
    (tmp_path / "stack" / "latin1.tf").write_bytes(b'# caf\xe9\nresource "aws_s3_bucket" "y" {}\n')
    dirs = scan(tmp_path / "stack")
    serial = snapshot(load_terraform(dirs, TerraformOptions(workers=1)))
    pooled = snapshot(load_terraform(dirs, TerraformOptions(workers=2)))
    assert pooled == serial
    errors = serial[1]
    assert {os.path.basename(e.file) for e in errors} == {"broken.tf", "latin1.tf"}
    assert sum(1 for r in serial[0] if r["type"] == "aws_s3_bucket_acl") == 6 * 4


def test_spawned_workers_give_the_same_results(tmp_path: Path, small_pool_threshold: None,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    write_stack(tmp_path / "stack", files=3, buckets_per_file=2)
    sources = [(str(p), p.read_bytes()) for p in sorted((tmp_path / "stack").glob("*.tf"))]
    serial = parse_sources(sources, 1, None)
    monkeypatch.setattr(workers, "pool_context", lambda: multiprocessing.get_context("spawn"))
    assert parse_sources(sources, 2, None) == serial


def _worker_dies(batch: object) -> object:
    os._exit(3)


def test_a_dying_worker_becomes_per_file_input_errors(tmp_path: Path, small_pool_threshold: None,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    write_stack(tmp_path / "stack", files=4, buckets_per_file=1)
    monkeypatch.setattr(tf_loader, "parse_batch", _worker_dies)
    result = load_terraform(scan(tmp_path / "stack"), TerraformOptions(workers=2))
    failed = {os.path.basename(e.file) for e in result.errors if "parser process" in e.message}
    assert failed == {"variables.tf", "s3_00.tf", "s3_01.tf", "s3_02.tf", "s3_03.tf"}
    assert all(e.kind == "error" for e in result.errors)
    assert not [r for r in result.resources if r.mode == "managed"]


def test_hcl_above_the_parse_bound_is_an_input_error_naming_the_file(tmp_path: Path) -> None:
    stack = tmp_path / "stack"
    write_stack(stack, files=1, buckets_per_file=1)
    padding = "# generated\n" * (HCL_MAX_BYTES // 12 + 1)
    (stack / "huge.tf").write_text(padding + 'resource "aws_s3_bucket" "h" {}\n', encoding="utf-8")
    result = load_terraform(scan(stack), TerraformOptions())
    [error] = [e for e in result.errors if e.file.endswith("huge.tf")]
    assert "parse bound" in error.message and error.kind == "error"
    assert any(r.address == "aws_s3_bucket.b0" for r in result.resources)
    proc = subprocess.run([sys.executable, "-m", "iacgate", "check", str(stack), "--no-cache"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2
    assert "huge.tf" in proc.stdout + proc.stderr and "parse bound" in proc.stdout + proc.stderr


def test_json_syntax_is_not_subject_to_the_hcl_bound(tmp_path: Path) -> None:
    stack = tmp_path / "stack"
    stack.mkdir()
    tags = {f"k{i:06d}": "v" * 20 for i in range(HCL_MAX_BYTES // 30 + 1)}
    doc = {"resource": {"aws_s3_bucket": {"big": {"bucket": "big", "tags": tags}}}}
    (stack / "big.tf.json").write_text(json.dumps(doc), encoding="utf-8")
    assert (stack / "big.tf.json").stat().st_size > HCL_MAX_BYTES
    result = load_terraform(scan(stack), TerraformOptions())
    assert result.errors == []
    assert [r.address for r in result.resources if r.mode == "managed"] == ["aws_s3_bucket.big"]


def entry_points() -> list[list[str]]:
    script = Path(sys.executable).with_name("iacgate")
    commands = [[sys.executable, "-m", "iacgate"]]
    if script.exists():
        commands.append([str(script)])
    return commands


@pytest.mark.parametrize("command", entry_points(), ids=lambda c: "console-script" if len(c) == 1 else "python-m")
def test_pooled_check_from_each_entry_point(tmp_path: Path, command: list[str]) -> None:
    """Big enough for the pool (above POOL_MIN_FILES and POOL_MIN_BYTES): same findings as in-process serial."""
    stack = tmp_path / "stack"
    write_stack(stack, files=tf_loader.POOL_MIN_FILES + 2, buckets_per_file=60)
    hcl_bytes = sum(p.stat().st_size for p in stack.glob("*.tf"))
    assert hcl_bytes >= tf_loader.POOL_MIN_BYTES
    proc = subprocess.run(command + ["check", str(stack), "--no-cache", "-f", "json"], capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert report["errors"] == []
    serial = json.loads(render(scan_paths([str(stack)], ScanOptions(load=LoadOptions(parse_workers=1))), "json"))
    assert report["findings"] == serial["findings"]
    public_acl = {f["resource"]["address"] for f in report["findings"] if f["rule_id"] == "IG-S3-001"}
    assert "aws_s3_bucket.b0" in public_acl
