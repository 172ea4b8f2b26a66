"""A plan is loaded from its decoded text without the parts loading never reads (``prior_state``,
and ``planned_values`` resources when ``resource_changes`` lists them), with the same resources as
from the whole plan; a JSON document that is not a plan still reaches the other loaders."""
from __future__ import annotations

import copy
import json
from pathlib import Path

from iacgate.adapters.plan.loader import decode_plan, load_plan, without_unread_parts
from iacgate.load import LoadOptions
from iacgate.scan import load

BUCKET = {"bucket": "acme-data", "acl": "public-read", "tags": {}}


def _plan(with_changes: bool = True) -> dict:  # type: ignore[type-arg]
    resource = {"address": "aws_s3_bucket.data", "mode": "managed", "type": "aws_s3_bucket", "name": "data",
                "provider_name": "registry.terraform.io/hashicorp/aws", "values": BUCKET}
    plan = {"format_version": "1.2", "terraform_version": "1.7.0",
            "planned_values": {"outputs": {"name": {"sensitive": False, "value": "acme-data"}},
                               "root_module": {"resources": [resource]}},
            "prior_state": {"format_version": "1.0", "values": {"root_module": {"resources": [resource]}}},
            "configuration": {"root_module": {"resources": []}}}
    if with_changes:
        plan["resource_changes"] = [{
            "address": "aws_s3_bucket.data", "mode": "managed", "type": "aws_s3_bucket", "name": "data",
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "change": {"actions": ["update"], "before": {**BUCKET, "acl": "private"}, "after": BUCKET,
                       "after_unknown": {}, "before_sensitive": {}, "after_sensitive": {}}}]
    return plan


def _summary(result) -> list[tuple[str, str, object]]:  # type: ignore[no-untyped-def]
    return sorted((r.address, r.mode, json.dumps(r.attrs, sort_keys=True, default=repr)) for r in result.resources)


def test_unread_parts_are_dropped_only_where_loading_does_not_read_them() -> None:
    plan = _plan()
    original = copy.deepcopy(plan)
    kept = without_unread_parts(plan)
    assert plan == original  # the caller's plan is not modified
    assert "prior_state" not in kept and "root_module" not in kept["planned_values"]
    assert kept["planned_values"]["outputs"] == plan["planned_values"]["outputs"]
    assert kept["resource_changes"] is plan["resource_changes"]
    # Without resource_changes the planned values are the resources: they stay.
    assert without_unread_parts(_plan(with_changes=False))["planned_values"]["root_module"]["resources"]


def test_resources_are_the_same_loaded_from_the_whole_plan_or_without_unread_parts() -> None:
    for with_changes in (True, False):
        plan = _plan(with_changes)
        whole = load_plan("plan.json", copy.deepcopy(plan))
        trimmed = load_plan("plan.json", without_unread_parts(plan))
        assert _summary(whole) == _summary(trimmed) and _summary(whole)
        assert [e.message for e in whole.errors] == [e.message for e in trimmed.errors]


def test_text_and_bytes_decode_to_the_same_plan_and_the_same_errors() -> None:
    text = json.dumps(_plan())
    assert decode_plan("p.json", text) == decode_plan("p.json", text.encode()) == (_plan(), None)
    _, from_text = decode_plan("p.json", '{"format_version": "1.2",\n "resource_changes": [}')
    _, from_bytes = decode_plan("p.json", b'{"format_version": "1.2",\n "resource_changes": [}')
    assert from_text is not None and from_bytes is not None
    assert (from_text.message, from_text.line) == (from_bytes.message, from_bytes.line)
    assert from_text.line == 2


def test_a_plan_file_and_a_json_document_that_is_not_a_plan(tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(_plan()), encoding="utf-8")
    result = load([str(plan_file)], LoadOptions())
    assert [r.address for r in result.resources if r.mode == "managed"] == ["aws_s3_bucket.data"]
    assert result.resources[0].before == {**BUCKET, "acl": "private"}
    state = tmp_path / "state.json"  # a state file has format_version but no planned changes
    state.write_text(json.dumps({"format_version": "1.0", "values": {}}), encoding="utf-8")
    result = load([str(state)], LoadOptions())
    assert not result.resources
    assert any("not a CloudFormation template or a Terraform plan" in e.message for e in result.errors)
