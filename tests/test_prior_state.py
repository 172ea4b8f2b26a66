"""The prior state of a plan is analysed only for the buckets the change touches: the findings over
it, and so every finding's new / existing classification and the fixed count, are the same as when
the whole prior state is analysed."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from iacgate import scan
from iacgate.adapters.plan.loader import load_plan
from iacgate.build import build_model
from iacgate.findings import Finding
from iacgate.gate import classify_changes
from iacgate.model import Bucket, Model
from iacgate.prior_state import (
    before_resources,
    prior_findings,
    unchanged_addresses,
    unchanged_buckets,
)
from iacgate.raw import RawResource
from iacgate.rules import evaluate, load_rules

ROOT = Path(__file__).resolve().parents[1]
PLANS = sorted([*ROOT.glob("tests/fixtures/plan/*/plan.json"), *ROOT.glob("examples/plan/*.plan.json")])
GENERATOR = ROOT.parent / "shared" / "bench" / "gen_workload.py"


def analyse_buckets(model: Model, buckets: list[Bucket]) -> list:  # type: ignore[type-arg]
    """The scan's analysis with bucket subjects only for ``buckets``."""
    return scan.analyse(model, [], buckets=buckets)


def statuses(findings: list[Finding]) -> dict[tuple[str, str], str]:
    """What classification reads: the status of each rule on each address (the last one written)."""
    return {(f.rule_id, f.address): f.status for f in findings}


def compare(resources: list[RawResource]) -> dict[str, Any]:
    rules, _ = load_rules()
    model = build_model(resources)
    subjects = scan.analyse(model, [])
    planned = evaluate(rules, subjects, {})
    prior = before_resources(resources)
    whole = evaluate(rules, scan.analyse(build_model(prior), []), {}) if prior else []
    reduced = prior_findings(resources, model, subjects, build_model, analyse_buckets,
                             lambda found: evaluate(rules, found, {}))
    assert statuses(reduced) == statuses(whole)
    assert {(f.rule_id, f.address) for f in reduced if f.status == "fail"} \
        == {(f.rule_id, f.address) for f in whole if f.status == "fail"}
    marked_whole, counts_whole = classify_changes(planned, whole)
    marked_reduced, counts_reduced = classify_changes(planned, reduced)
    assert [(f.rule_id, f.address, f.change) for f in marked_reduced] \
        == [(f.rule_id, f.address, f.change) for f in marked_whole]
    assert counts_reduced == counts_whole
    reused = unchanged_buckets(build_model(prior), model, unchanged_addresses(resources)) if prior else frozenset()
    return {"counts": counts_whole, "reused": reused, "planned": marked_whole}


def plan_resources(path: Path) -> list[RawResource]:
    result = load_plan(str(path), json.loads(path.read_text(encoding="utf-8")))
    return result.resources


@pytest.mark.parametrize("path", PLANS, ids=lambda p: str(p.relative_to(ROOT)))
def test_same_classification_as_the_whole_prior_state(path: Path) -> None:
    compare(plan_resources(path))


def test_the_fixtures_reuse_some_buckets_and_not_others() -> None:
    outcomes = [compare(plan_resources(path)) for path in PLANS]
    assert any(o["reused"] for o in outcomes)
    assert any(o["counts"]["existing"] for o in outcomes)


def test_a_generated_plan_classifies_the_same(tmp_path: Path) -> None:
    if not GENERATOR.is_file():
        pytest.skip(f"the shared workload generator is not here ({GENERATOR}); a fresh clone has no ../shared")
    subprocess.run([sys.executable, str(GENERATOR), str(tmp_path), "--tf-files", "0", "--cfn-templates", "0",
                    "--plan-resources", "600", "--seed", "3"], check=True, capture_output=True, timeout=120)
    outcome = compare(plan_resources(tmp_path / "plan" / "plan.json"))
    assert outcome["reused"] and outcome["counts"]["existing"]


# ---------------------------------------------------------------------------------------- crafted plans

PUBLIC_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::{name}/*"}]})


def change(address: str, actions: list[str], before: dict | None, after: dict | None) -> dict:  # type: ignore[type-arg]
    resource_type, name = address.split(".")
    return {"address": address, "mode": "managed", "type": resource_type, "name": name,
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "change": {"actions": actions, "before": before, "after": after, "after_unknown": {},
                       "before_sensitive": {}, "after_sensitive": {}}}


def left_alone(address: str, value: dict) -> dict:  # type: ignore[type-arg]
    """A change that leaves the resource as it is (``no-op``, the same value before and after)."""
    return change(address, ["no-op"], value, value)


def bucket(name: str) -> dict:  # type: ignore[type-arg]
    return {"bucket": name, "id": name, "arn": f"arn:aws:s3:::{name}", "tags": {}}


def policy(name: str) -> dict:  # type: ignore[type-arg]
    return {"bucket": name, "id": name, "policy": PUBLIC_POLICY.replace("{name}", name)}


def open_block(name: str) -> dict:  # type: ignore[type-arg]
    return {"bucket": name, "id": name, "block_public_acls": False, "block_public_policy": False,
            "ignore_public_acls": False, "restrict_public_buckets": False}


def acl(name: str, canned: str) -> dict:  # type: ignore[type-arg]
    return {"bucket": name, "id": name, "acl": canned}


def crafted_plan(tmp_path: Path, changes: list[dict]) -> list[RawResource]:  # type: ignore[type-arg]
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"format_version": "1.2", "terraform_version": "1.7.0",
                                "planned_values": {"root_module": {}}, "resource_changes": changes}))
    return plan_resources(path)


PUBLIC_READ_RULES = ("IG-S3-001", "IG-S3-002")  # public through an ACL; through a policy


def public_findings(outcome: dict[str, Any], address: str) -> list[tuple[str, str | None]]:
    return sorted((f.rule_id, f.change) for f in outcome["planned"]
                  if f.address == address and f.status == "fail" and f.rule_id in PUBLIC_READ_RULES)


def assert_analysed_again_as_new(outcome: dict[str, Any], address: str) -> None:
    """No bucket was taken from the planned state, and ``address`` has public findings, all new."""
    assert outcome["reused"] == frozenset()
    found = public_findings(outcome, address)
    assert found and all(state == "new" for _, state in found)


def test_a_bucket_left_alone_whose_policy_the_plan_deletes_is_analysed_again(tmp_path: Path) -> None:
    resources = crafted_plan(tmp_path, [
        left_alone("aws_s3_bucket.kept", bucket("acme-kept")),
        left_alone("aws_s3_bucket_public_access_block.kept", open_block("acme-kept")),
        change("aws_s3_bucket_policy.kept", ["delete"], policy("acme-kept"), None),
        left_alone("aws_s3_bucket.calm", bucket("acme-calm")),
        left_alone("aws_s3_bucket_public_access_block.calm", open_block("acme-calm")),
        left_alone("aws_s3_bucket_policy.calm", policy("acme-calm")),
    ])
    outcome = compare(resources)
    assert outcome["reused"] == {"aws_s3_bucket.calm"}
    assert outcome["counts"]["fixed"] >= 1  # the deleted policy's public read is gone
    assert public_findings(outcome, "aws_s3_bucket.kept") == []
    calm = public_findings(outcome, "aws_s3_bucket.calm")
    assert calm and all(state == "existing" for _, state in calm)


def test_a_bucket_left_alone_whose_acl_turns_public_has_new_findings(tmp_path: Path) -> None:
    resources = crafted_plan(tmp_path, [
        left_alone("aws_s3_bucket.site", bucket("acme-site")),
        left_alone("aws_s3_bucket_public_access_block.site", open_block("acme-site")),
        change("aws_s3_bucket_acl.site", ["update"], acl("acme-site", "private"), acl("acme-site", "public-read")),
    ])
    assert_analysed_again_as_new(compare(resources), "aws_s3_bucket.site")


def test_a_policy_moved_to_another_bucket_touches_both(tmp_path: Path) -> None:
    resources = crafted_plan(tmp_path, [
        left_alone("aws_s3_bucket.one", bucket("acme-one")),
        left_alone("aws_s3_bucket.two", bucket("acme-two")),
        left_alone("aws_s3_bucket_public_access_block.one", open_block("acme-one")),
        left_alone("aws_s3_bucket_public_access_block.two", open_block("acme-two")),
        change("aws_s3_bucket_policy.shared", ["update"], policy("acme-one"), policy("acme-two")),
    ])
    outcome = compare(resources)
    assert outcome["reused"] == frozenset()
    assert public_findings(outcome, "aws_s3_bucket.one") == []
    assert public_findings(outcome, "aws_s3_bucket.two")
    assert all(state == "new" for _, state in public_findings(outcome, "aws_s3_bucket.two"))


def test_an_account_block_change_analyses_every_bucket_again(tmp_path: Path) -> None:
    account_before = {"id": "123456789012", "block_public_acls": True, "block_public_policy": True,
                      "ignore_public_acls": True, "restrict_public_buckets": True}
    account_after = {**account_before, "block_public_policy": False, "restrict_public_buckets": False}
    resources = crafted_plan(tmp_path, [
        left_alone("aws_s3_bucket.calm", bucket("acme-calm")),
        left_alone("aws_s3_bucket_policy.calm", policy("acme-calm")),
        change("aws_s3_account_public_access_block.account", ["update"], account_before, account_after),
    ])
    assert_analysed_again_as_new(compare(resources), "aws_s3_bucket.calm")


def test_a_resource_is_unchanged_only_when_its_prior_value_is_its_planned_value(tmp_path: Path) -> None:
    resources = crafted_plan(tmp_path, [
        left_alone("aws_s3_bucket.same", bucket("acme-same")),
        change("aws_s3_bucket.edited", ["update"], bucket("acme-edited"), {**bucket("acme-edited"), "tags": {"a": "b"}}),
        change("aws_s3_bucket.new", ["create"], None, bucket("acme-new")),
    ])
    assert unchanged_addresses(resources) == {"aws_s3_bucket.same"}


# ---------------------------------------------------------------------------------------- the prior state's worker

WITH_PRIOR_STATE = [p for p in PLANS if compare(plan_resources(p))["counts"]["existing"]]


def report_of(path: Path, workers: int) -> tuple[list[tuple[str, str, str, str | None]], dict[str, int] | None]:
    from iacgate.load import LoadOptions

    report = scan.scan([str(path)], scan.ScanOptions(load=LoadOptions(parse_workers=workers)))
    return [(f.rule_id, f.address, f.status, f.change) for f in report.findings], report.changes


def leave_a_mark(suffix: str) -> None:
    """In the worker: its process id, left where the test can see it (the mark file with ``suffix``)."""
    import os

    Path(os.environ["PLAN_WORKER_MARK"]).with_suffix(suffix).write_text(str(os.getpid()))


def parts_in_a_marked_worker(job: scan.PlanWorker) -> list:  # type: ignore[type-arg]
    leave_a_mark(".pid")
    return ORIGINAL_WORKER_JOB(job)


def worker_dies(job: scan.PlanWorker) -> list:  # type: ignore[type-arg]
    import os

    os._exit(3)


ORIGINAL_WORKER_JOB = scan._prior_parts_in_worker


@pytest.fixture
def plan_worker_mark(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Every plan with a prior state gets the worker; the run's folder holds no ignore file."""
    monkeypatch.setattr(scan, "PLAN_WORKER_MIN_RESOURCES", 1)
    monkeypatch.chdir(tmp_path)
    mark = tmp_path / "worker.pid"
    monkeypatch.setenv("PLAN_WORKER_MARK", str(mark))
    return mark


def test_the_fixtures_include_plans_with_existing_findings() -> None:
    assert len(WITH_PRIOR_STATE) >= 2


@pytest.mark.parametrize("path", WITH_PRIOR_STATE, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_prior_state_worker_gives_the_same_report(path: Path, plan_worker_mark: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    if not sys.platform.startswith("linux"):
        pytest.skip("the prior-state worker is forked, which this platform does not do")
    here = report_of(path, workers=1)
    assert not plan_worker_mark.exists()  # one process: no worker
    monkeypatch.setattr(scan, "_prior_parts_in_worker", parts_in_a_marked_worker)
    there = report_of(path, workers=2)
    assert int(plan_worker_mark.read_text()) != os.getpid()
    assert there == here
    assert here[1] is not None and here[1]["existing"] > 0
    assert any(change == "existing" for *_, change in here[0])


def test_a_prior_state_worker_that_dies_changes_nothing(plan_worker_mark: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its part is done in the scan's own process instead."""
    if not sys.platform.startswith("linux"):
        pytest.skip("the plan worker is forked, which this platform does not do")
    path = WITH_PRIOR_STATE[0]
    here = report_of(path, workers=1)
    monkeypatch.setattr(scan, "_credentials_in_worker", credentials_in_a_marked_worker)
    monkeypatch.setattr(scan, "_prior_parts_in_worker", worker_dies)
    assert report_of(path, workers=2) == here
    assert plan_worker_mark.with_suffix(".credentials").exists()  # the worker ran its first job, then died


def credentials_in_a_marked_worker(job: scan.PlanWorker) -> list:  # type: ignore[type-arg]
    leave_a_mark(".credentials")
    return ORIGINAL_CREDENTIALS_JOB(job)


ORIGINAL_CREDENTIALS_JOB = scan._credentials_in_worker
KEY_ID, SECRET = "AKIA" + "Q3EGRIUT5BVKXY7N", "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "Qa8Lm2Zt4u"


def instance(user_data: str) -> dict:  # type: ignore[type-arg]
    return {"ami": "ami-12345678", "instance_type": "t3.micro", "user_data": user_data,
            "metadata_options": [{"http_tokens": "required", "http_endpoint": "enabled"}]}


def plan_with_keys(tmp_path: Path) -> Path:
    script = f"export AWS_ACCESS_KEY_ID={KEY_ID}\nexport AWS_SECRET_ACCESS_KEY={SECRET}\n"
    crafted_plan(tmp_path, [
        left_alone("aws_instance.old", instance(script)),
        change("aws_instance.new", ["create"], None, instance(script)),
        left_alone("aws_s3_bucket.logs", bucket("logs")),
        left_alone("aws_s3_bucket_acl.logs", acl("logs", "public-read")),
    ])
    return tmp_path / "plan.json"


@pytest.mark.parametrize("dies_in", [None, "credentials", "prior parts"])
def test_the_plan_worker_finds_the_same_credentials(tmp_path: Path, plan_worker_mark: Path,
                                                    monkeypatch: pytest.MonkeyPatch, dies_in: str | None) -> None:
    import os

    if not sys.platform.startswith("linux"):
        pytest.skip("the plan worker is forked, which this platform does not do")
    path = plan_with_keys(tmp_path)
    here = report_of(path, workers=1)
    monkeypatch.setattr(scan, "_credentials_in_worker",
                        worker_dies if dies_in == "credentials" else credentials_in_a_marked_worker)
    monkeypatch.setattr(scan, "_prior_parts_in_worker", worker_dies if dies_in == "prior parts" else ORIGINAL_WORKER_JOB)
    there = report_of(path, workers=2)
    assert there == here
    if dies_in is None:
        assert int(plan_worker_mark.with_suffix(".credentials").read_text()) != os.getpid()
    found = {(rule, address, change) for rule, address, status, change in here[0]
             if rule.startswith("IG-CRED") and status == "fail"}
    assert {address for _, address, _ in found} == {"aws_instance.old", "aws_instance.new"}
    assert {change for _, address, change in found if address == "aws_instance.old"} == {"existing"}
    assert {change for _, address, change in found if address == "aws_instance.new"} == {"new"}


def test_the_prior_state_takes_the_credential_scans_of_what_the_plan_left_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from iacgate.analysis import credentials

    path = plan_with_keys(tmp_path)
    scanned: list[str] = []
    real = credentials._scan_resource
    monkeypatch.setattr(credentials, "_scan_resource", lambda r: scanned.append(r.address) or real(r))
    findings, _ = report_of(path, workers=1)
    assert sorted(scanned) == ["aws_instance.new", "aws_instance.old", "aws_s3_bucket.logs",
                               "aws_s3_bucket_acl.logs"]  # each once: its prior state is its planned state
    assert ("IG-CRED-001", "aws_instance.old", "fail", "existing") in findings


def test_a_bucket_the_plan_leaves_alone_is_evaluated_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from iacgate.rules import engine

    crafted_plan(tmp_path, [
        left_alone("aws_s3_bucket.kept", bucket("acme-kept")),
        left_alone("aws_s3_bucket_acl.kept", acl("acme-kept", "public-read")),
        change("aws_s3_bucket.new", ["create"], None, bucket("acme-new")),
    ])
    evaluated: list[tuple[str, str]] = []
    real = engine.evaluate_one
    monkeypatch.setattr(engine, "evaluate_one",
                        lambda rule, subject, params: evaluated.append((rule.id, subject.address))
                        or real(rule, subject, params))
    findings, changes = report_of(tmp_path / "plan.json", workers=1)
    kept = [pair for pair in evaluated if pair[1] == "aws_s3_bucket.kept"]
    assert kept and len(kept) == len(set(kept))  # its prior findings are its planned ones
    assert ("IG-S3-001", "aws_s3_bucket.kept", "fail", "existing") in findings
    assert changes is not None and changes["existing"] > 0


def test_plans_with_too_many_resources_for_the_worker_are_analysed_here(tmp_path: Path, plan_worker_mark: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Above the limit the plan worker is not started (its copied pages would cost too much memory)."""
    path = plan_with_keys(tmp_path)
    here = report_of(path, workers=1)
    monkeypatch.setattr(scan, "PLAN_WORKER_MAX_RESOURCES", 2)  # three of the plan's resources existed
    monkeypatch.setattr(scan, "_credentials_in_worker", credentials_in_a_marked_worker)
    assert report_of(path, workers=2) == here
    assert not plan_worker_mark.with_suffix(".credentials").exists()
    monkeypatch.setattr(scan, "PLAN_WORKER_MAX_RESOURCES", 3)
    assert report_of(path, workers=2) == here
    assert plan_worker_mark.with_suffix(".credentials").exists() or not sys.platform.startswith("linux")


def slow_prior_parts(job: scan.PlanWorker) -> list:  # type: ignore[type-arg]
    import time

    time.sleep(30)
    return []


def test_a_run_that_stops_early_leaves_no_plan_worker_behind(tmp_path: Path, plan_worker_mark: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """An error in the planned state's analysis (here: in every analysis) ends the scan while the
    worker is still busy: the worker is ended with it, not left running with the run's output open."""
    import os

    if not sys.platform.startswith("linux"):
        pytest.skip("the plan worker is forked, which this platform does not do")
    path = plan_with_keys(tmp_path)
    monkeypatch.setattr(scan, "_prior_parts_in_worker", slow_prior_parts)
    started: list[int | None] = []
    real_start = scan.PlanWorker.start

    def start(self, models):  # type: ignore[no-untyped-def]
        real_start(self, models)
        started.append(self.job.pid if self.job is not None else None)

    monkeypatch.setattr(scan.PlanWorker, "start", start)
    real_analyse = scan.analyse

    def failing_analyse(model, account_blocks, buckets=None, credentials=None):  # type: ignore[no-untyped-def]
        if credentials is not None:  # the planned state, analysed in the scan's process
            raise RuntimeError("analysis failed")
        return real_analyse(model, account_blocks, buckets, credentials)

    monkeypatch.setattr(scan, "analyse", failing_analyse)
    with pytest.raises(RuntimeError, match="analysis failed"):
        report_of(path, workers=2)
    assert len(started) == 1 and started[0] is not None  # the worker ran
    with pytest.raises(ProcessLookupError):  # and is gone, not a zombie either
        os.kill(started[0], 0)
