"""A scan keeps the loaded inputs out of the cyclic collector's walks only while it runs: the
collector gets every object back afterwards, also when the scan fails, and results do not change."""
from __future__ import annotations

import gc
from pathlib import Path

import pytest

from iacgate import scan as scan_module
from iacgate.scan import ScanOptions, scan

PUBLIC_BUCKET = '''
resource "aws_s3_bucket" "site" {
  bucket = "acme-site"
}

resource "aws_s3_bucket_acl" "site" {
  bucket = aws_s3_bucket.site.id
  acl    = "public-read"
}
'''


def _fingerprints(report) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    return sorted((f.rule_id, f.address, f.fingerprint) for f in report.findings)


def test_scan_hands_every_object_back_to_the_collector(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(PUBLIC_BUCKET)
    assert gc.get_freeze_count() == 0
    report = scan([str(tmp_path)], ScanOptions())
    assert gc.get_freeze_count() == 0
    assert any(f.rule_id == "IG-S3-001" and f.address == "aws_s3_bucket.site" for f in report.findings)


def test_objects_are_frozen_during_the_scan_and_released_when_it_fails(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "main.tf").write_text(PUBLIC_BUCKET)
    seen: list[int] = []
    real_build = scan_module.build_model

    def failing_build(resources):  # type: ignore[no-untyped-def]
        seen.append(gc.get_freeze_count())
        real_build(resources)
        raise RuntimeError("build failed")

    monkeypatch.setattr(scan_module, "build_model", failing_build)
    with pytest.raises(RuntimeError):
        scan([str(tmp_path)], ScanOptions())
    assert seen and seen[0] > 0
    assert gc.get_freeze_count() == 0


def test_findings_are_the_same_with_the_collector_running_throughout(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "main.tf").write_text(PUBLIC_BUCKET)
    frozen = scan([str(tmp_path)], ScanOptions())
    monkeypatch.setattr(gc, "freeze", lambda: None)
    monkeypatch.setattr(gc, "unfreeze", lambda: None)
    plain = scan([str(tmp_path)], ScanOptions())
    assert _fingerprints(frozen) == _fingerprints(plain) and _fingerprints(frozen)
