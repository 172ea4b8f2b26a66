"""Root modules evaluated and analysed in forked worker processes give exactly the report of the same
roots evaluated in one process; a worker that dies becomes input errors naming its roots (fail
closed); their findings are stored in and reused from the stack cache like any other root's."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from test_stack_cache import MODULE, _stack
from test_tf_support import scan as tree_inputs
from test_tf_support import write_tree

from iacgate.adapters.terraform import loader as tf_loader
from iacgate.adapters.terraform.loader import TerraformOptions, load_terraform
from iacgate.load import LoadOptions
from iacgate.report.json_report import report_data
from iacgate.scan import ScanOptions, scan

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="root workers are forked (Linux only)")

NAMES = ["alpha", "beta", "gamma", "delta", "epsilon"]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "infra"
    files = {**MODULE}
    for name in NAMES:
        files.update(_stack(name, acl="public-read" if name in ("gamma", "epsilon") else "private"))
    files["stacks/delta/broken.tf"] = 'resource "aws_s3_bucket" "x" {\n  bucket = \n}\n'
    files["stacks/epsilon/keys.tf"] = ('# iacgate:ignore IG-S3-001 reason="public on purpose"\n'
                                       'resource "aws_s3_bucket" "site" {\n  bucket = "epsilon-site"\n}\n'
                                       'resource "aws_s3_bucket_acl" "site" {\n  bucket = aws_s3_bucket.site.id\n'
                                       '  acl    = "public-read"\n}\n')
    write_tree(root, files)
    return root


@pytest.fixture
def root_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Root workers for this small tree (they are meant for trees of hundreds of KiB)."""
    monkeypatch.setattr(tf_loader, "ROOT_POOL_MIN_BYTES", 1)
    monkeypatch.setattr(tf_loader, "ROOT_POOL_MIN_ROOTS", 2)


def scan_report(root: Path, workers: int, cache: str | None = None) -> dict:
    """The JSON report data of a scan with this many worker processes (1: everything here)."""
    options = ScanOptions(load=LoadOptions(parse_workers=workers, cache_dir=cache))
    return report_data(scan([str(root)], options))


def test_the_roots_go_to_workers_and_come_back_analysed(tree: Path, root_workers: None) -> None:
    result = load_terraform(tree_inputs(tree), TerraformOptions(workers=2, analyse=lambda origin: origin.stack))
    assert sorted(os.path.basename(o.stack) for o in result.stacks) == sorted(NAMES)
    assert all(o.analysed == o.stack and o.resources == [] for o in result.stacks)
    serial = load_terraform(tree_inputs(tree), TerraformOptions(workers=1, analyse=lambda origin: origin.stack))
    assert all(o.analysed is None and o.resources for o in serial.stacks)
    assert result.errors == serial.errors and result.files == serial.files
    assert any(e.file.endswith("broken.tf") for e in result.errors)


def test_workers_report_exactly_what_one_process_reports(tree: Path, root_workers: None) -> None:
    pooled, serial = scan_report(tree, workers=2), scan_report(tree, workers=1)
    assert pooled == serial
    rules = {(f["rule_id"], f["resource"]["address"], f["suppressed"]) for f in pooled["findings"]}
    assert ("IG-S3-001", "module.logs.aws_s3_bucket.this", False) in rules
    assert ("IG-S3-001", "aws_s3_bucket.site", True) in rules  # the inline ignore, kept by the worker
    assert pooled["summary"]["files"] == len([p for p in tree.rglob("*") if p.suffix in (".tf", ".tfvars")])


def worker_dies(share: object) -> object:
    os._exit(3)


def test_a_dying_worker_fails_closed_naming_its_roots(tree: Path, root_workers: None,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tf_loader, "_evaluate_and_analyse", worker_dies)
    report = scan_report(tree, workers=2)
    failed = {os.path.basename(e["file"]) for e in report["errors"] if "not analysed" in e["message"]}
    assert failed == set(NAMES)
    assert report["summary"]["decision"] == "error"


def assert_warm_run_reuses_worker_findings(root: Path, cache: str, owner: object, name: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A run with workers fills the cache; the next reports the same without ever calling
    ``owner.name`` (what loads a stack; that run is in one process, so a call would be seen here);
    both equal a run in one process without the cache."""
    cold = scan_report(root, workers=2, cache=cache)
    calls: list[object] = []
    original = getattr(owner, name)

    def counting(*args: object) -> object:
        calls.append(args)
        return original(*args)

    monkeypatch.setattr(owner, name, counting)
    assert scan_report(root, workers=1, cache=cache) == cold
    assert calls == []
    monkeypatch.setattr(owner, name, original)
    assert cold == scan_report(root, workers=1)


def test_worker_findings_are_cached_and_reused(tree: Path, root_workers: None, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    assert_warm_run_reuses_worker_findings(tree, str(tmp_path / "cache"), tf_loader._Loader, "_evaluate_root",
                                           monkeypatch)
