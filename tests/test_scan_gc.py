"""A scan pauses the cyclic collector while it runs (it makes millions of objects and next to no
garbage cycles); the collector runs again afterwards, also when the scan fails, and results do not
change."""
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


def test_the_collector_is_paused_while_the_scan_runs_and_restored_after(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "main.tf").write_text(PUBLIC_BUCKET)
    seen: list[bool] = []
    real_build = scan_module.build_model

    def watching_build(resources):  # type: ignore[no-untyped-def]
        seen.append(gc.isenabled())
        return real_build(resources)

    monkeypatch.setattr(scan_module, "build_model", watching_build)
    assert gc.isenabled()
    report = scan([str(tmp_path)], ScanOptions())
    assert seen and not any(seen)
    assert gc.isenabled()
    assert any(f.rule_id == "IG-S3-001" and f.address == "aws_s3_bucket.site" for f in report.findings)


def test_the_collector_is_restored_when_the_scan_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "main.tf").write_text(PUBLIC_BUCKET)

    def failing_build(resources):  # type: ignore[no-untyped-def]
        raise RuntimeError("build failed")

    monkeypatch.setattr(scan_module, "build_model", failing_build)
    with pytest.raises(RuntimeError):
        scan([str(tmp_path)], ScanOptions())
    assert gc.isenabled()


def test_a_scan_leaves_a_paused_collector_paused(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(PUBLIC_BUCKET)
    gc.disable()
    try:
        scan([str(tmp_path)], ScanOptions())
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_findings_are_the_same_with_the_collector_running_throughout(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import contextlib

    (tmp_path / "main.tf").write_text(PUBLIC_BUCKET)
    paused = scan([str(tmp_path)], ScanOptions())
    monkeypatch.setattr(scan_module, "collector_paused", lambda **_: contextlib.nullcontext())
    monkeypatch.setattr(gc, "disable", lambda: None)  # the pauses inside the loaders and analyses too
    plain = scan([str(tmp_path)], ScanOptions())
    assert _fingerprints(paused) == _fingerprints(plain) and _fingerprints(paused)


def test_what_a_scan_keeps_is_not_walked_as_new_afterwards() -> None:
    """Objects made while paused join the oldest generation on the way out, so no young collection
    walks them, and none stays frozen; without ``age_survivors`` they are young."""
    from iacgate.collector import collector_paused

    def in_oldest_generation(obj: object) -> bool:
        return any(o is obj for o in gc.get_objects(generation=2))

    with collector_paused():
        plain = [[] for _ in range(20000)]
    assert not in_oldest_generation(plain) and not in_oldest_generation(plain[-1])
    with collector_paused(age_survivors=True):
        aged = [[] for _ in range(20000)]
    assert in_oldest_generation(aged) and in_oldest_generation(aged[-1])
    assert gc.get_freeze_count() == 0
