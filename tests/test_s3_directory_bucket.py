"""S3 Express directory buckets: Block Public Access is always on and cannot be turned off."""
from __future__ import annotations

from pathlib import Path

from iacgate.scan import ScanOptions, scan

CONFIG = """\
variable "is_directory_bucket" {
  default = true
}

resource "aws_s3_directory_bucket" "this" {
  count  = var.is_directory_bucket ? 1 : 0
  bucket = "fast-scratch--use1-az4--x-s3"
  location {
    name = "use1-az4"
  }
}

resource "aws_s3_bucket" "this" {
  count  = var.is_directory_bucket ? 0 : 1
  bucket = "fast-scratch"
}

resource "aws_s3_bucket_policy" "this" {
  bucket = var.is_directory_bucket ? aws_s3_directory_bucket.this[0].bucket : aws_s3_bucket.this[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = "*"
      Action    = "s3express:CreateSession"
      Resource  = "*"
    }]
  })
}
"""


def _public_findings(tmp_path: Path, directory: bool) -> set[tuple[str, str]]:
    (tmp_path / "main.tf").write_text(CONFIG.replace("default = true", f"default = {str(directory).lower()}"))
    report = scan([str(tmp_path)], ScanOptions())
    return {(f.rule_id, f.address) for f in report.findings if f.rule_id in ("IG-S3-002", "IG-S3-004")}


def test_a_policy_on_a_directory_bucket_cannot_make_it_public(tmp_path: Path) -> None:
    assert _public_findings(tmp_path, directory=True) == set()


def test_the_same_policy_on_a_general_purpose_bucket_is_reported(tmp_path: Path) -> None:
    found = _public_findings(tmp_path, directory=False)
    assert ("IG-S3-004", "aws_s3_bucket.this[0]") in found
