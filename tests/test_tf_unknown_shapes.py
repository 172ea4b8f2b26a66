"""Values known only after apply keep the template they are built from, so their kind still shows."""
from __future__ import annotations

from pathlib import Path

from iacgate.scan import ScanOptions, scan

CONFIG = """\
resource "aws_s3_bucket" "data" {
  bucket_prefix = "data-"
}

resource "aws_iam_role" "reader" {
  name               = "reader"
  assume_role_policy = "{}"
}

data "aws_iam_policy_document" "data" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    resources = [aws_s3_bucket.data.arn, "${aws_s3_bucket.data.arn}/*"]
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
  statement {
    sid       = "ReaderRole"
    actions   = ["s3:GetObject"]
    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.reader.arn]
    }
    resources = ["${aws_s3_bucket.data.arn}/*"]
  }
}

resource "aws_s3_bucket_policy" "data" {
  bucket = aws_s3_bucket.data.id
  policy = data.aws_iam_policy_document.data.json
}
"""


def test_policy_on_a_bucket_named_at_apply_is_decided(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(CONFIG)
    report = scan([str(tmp_path)], ScanOptions())
    by_rule = {(f.rule_id, f.status) for f in report.findings if f.address == "aws_s3_bucket.data"}
    # "${arn}/*" covers the objects, so the TLS deny is decided; the role's ARN is one principal.
    assert not {r for r, _ in by_rule} & {"IG-S3-023", "IG-S3-004", "IG-S3-002"}, by_rule
    assert ("IG-S3-020", "fail") in by_rule  # the bucket is still judged: versioning is off
