"""CloudFormation templates loaded and analysed in forked worker processes give exactly the report of
the same templates loaded in one process; plans among them are loaded in the main process; a worker
that dies fails its templates closed; the stack cache keeps and reuses worker findings."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from test_parallel_roots import (
    assert_warm_run_reuses_worker_findings,
    scan_report,
    worker_dies,
)

import iacgate.load as load_module
from iacgate.load import LoadOptions

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="template workers are forked (Linux only)")

REPO = Path(__file__).resolve().parents[1]
TEMPLATES = sorted((REPO / "examples" / "cloudformation").glob("*.yaml")) + sorted(
    (REPO / "tests" / "fixtures" / "cloudformation").glob("web_stack.*"))


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    root = tmp_path / "templates"
    for copy in range(3):
        folder = root / f"account-{copy}"
        folder.mkdir(parents=True)
        for template in TEMPLATES:
            shutil.copy(template, folder / template.name)
    shutil.copy(REPO / "tests" / "fixtures" / "plan" / "acl_change" / "plan.json", root / "plan.json")
    (root / "broken.yaml").write_text("AWSTemplateFormatVersion: '2010-09-09'\nResources: [\n", encoding="utf-8")
    (root / "latin1.yaml").write_bytes(b"# caf\xe9\nResources:\n  B:\n    Type: AWS::S3::Bucket\n")
    (root / "account-1" / "private-bucket.yaml").write_text(
        (root / "account-1" / "private-bucket.yaml").read_text(encoding="utf-8")
        + "# iacgate:ignore IG-S3-001 reason=\"kept\"\n", encoding="utf-8")
    return root


@pytest.fixture
def template_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Template workers for these few small files (they are meant for hundreds of KiB)."""
    monkeypatch.setattr(load_module, "DOCUMENT_POOL_MIN_FILES", 2)
    monkeypatch.setattr(load_module, "DOCUMENT_POOL_MIN_BYTES", 1)


def test_workers_report_exactly_what_one_process_reports(templates: Path, template_workers: None) -> None:
    pooled = scan_report(templates, workers=2)
    assert pooled == scan_report(templates, workers=1)
    kinds = {f["resource"]["source_kind"] for f in pooled["findings"]}
    assert kinds == {"cloudformation", "plan"}
    assert {os.path.basename(e["file"]) for e in pooled["errors"]} >= {"broken.yaml", "latin1.yaml"}


def test_templates_go_to_workers_and_plans_stay(templates: Path, template_workers: None) -> None:
    from iacgate.discovery import discover
    from iacgate.load import load_inputs

    options = LoadOptions(parse_workers=2, analyse=lambda origin: origin.stack)
    result = load_inputs(discover([str(templates)]), options)
    analysed = [o for o in result.stacks if o.analysed is not None]
    assert len(analysed) == 3 * len(TEMPLATES)
    assert all(o.analysed == o.stack and o.resources == [] for o in analysed)
    assert {r.source_kind for r in result.resources} == {"plan"}


def test_a_dying_worker_fails_its_templates_closed(templates: Path, template_workers: None,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(load_module, "_load_and_analyse", worker_dies)
    report = scan_report(templates, workers=2)
    failed = {e["file"] for e in report["errors"] if "not analysed" in e["message"]}
    assert len(failed) == 3 * len(TEMPLATES) + 2  # every template and the two bad files, not the plan
    assert report["summary"]["decision"] == "error"


def test_worker_findings_are_cached_and_reused(templates: Path, template_workers: None, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from iacgate.adapters.cloudformation import loader as cfn_loader

    assert_warm_run_reuses_worker_findings(templates, str(tmp_path / "cache"), cfn_loader,
                                           "load_cloudformation_document", monkeypatch)
