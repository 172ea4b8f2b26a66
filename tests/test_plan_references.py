"""Reference parsing, after/after_unknown merging and robustness of the plan loader."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iacgate.adapters.plan.changes import merge_unknown, sensitive_paths
from iacgate.adapters.plan.loader import decode_plan, load_plan
from iacgate.adapters.plan.references import (EachValueRef, OutputRef, ResourceRef, VariableRef,
                                              classify_reference, format_key,
                                              parse_module_address, parse_traversal)
from iacgate.values import Unknown


@pytest.mark.parametrize("text, steps", [
    ("aws_s3_bucket.b.id", [("attr", "aws_s3_bucket"), ("attr", "b"), ("attr", "id")]),
    ('data.template_file.foo[1].vars["baz"]',
     [("attr", "data"), ("attr", "template_file"), ("attr", "foo"), ("key", 1), ("attr", "vars"),
      ("key", "baz")]),
    ('module.m["a.b"].out', [("attr", "module"), ("attr", "m"), ("key", "a.b"), ("attr", "out")]),
    ("aws_s3_bucket.c[*].id", [("attr", "aws_s3_bucket"), ("attr", "c"), ("splat", None), ("attr", "id")]),
])
def test_parse_traversal(text, steps):
    assert parse_traversal(text) == steps


@pytest.mark.parametrize("text", ["", ".x", "a..b", "a[", 'a["x"', "a[x]", "1abc", "a b"])
def test_parse_traversal_rejects_non_traversals(text):
    assert parse_traversal(text) is None


@pytest.mark.parametrize("text, ref", [
    ("aws_s3_bucket.b.id", ResourceRef("aws_s3_bucket.b")),
    ("aws_s3_bucket.b", ResourceRef("aws_s3_bucket.b")),
    ("aws_s3_bucket.c[0]", ResourceRef("aws_s3_bucket.c", 0, True)),
    ('aws_s3_bucket.f["logs"].arn', ResourceRef("aws_s3_bucket.f", "logs", True)),
    ("data.aws_iam_policy_document.p.json", ResourceRef("data.aws_iam_policy_document.p")),
    ("module.m.bucket_id", OutputRef("m", "bucket_id")),
    ("module.m[1].bucket_id", OutputRef("m", "bucket_id", 1, True)),
    ("module.m", OutputRef("m", None)),
    ("var.bucket", VariableRef("bucket")),
    ("each.value.id", EachValueRef()),
    ("each.key", None), ("count.index", None), ("local.name", None), ("path.module", None),
    ("terraform.workspace", None), ("self.id", None), ("data.x", None), ("aws_s3_bucket", None),
])
def test_classify_reference(text, ref):
    assert classify_reference(text) == ref


def test_module_addresses_and_keys():
    assert parse_module_address("") == ()
    assert parse_module_address('module.a[0].module.b["k"]') == (("a", 0), ("b", "k"))
    assert parse_module_address("module.a.module.b") == (("a", None), ("b", None))
    assert parse_module_address("aws_s3_bucket.b") is None
    assert format_key(3) == "[3]" and format_key('a"b') == '["a\\"b"]'


def test_merge_unknown_handles_lists_maps_and_absent_keys():
    after = {"tags": {"env": "prod"}, "cidr_blocks": [None, "10.0.0.0/8"], "rule": [{}]}
    mask = {"tags": {"owner": True}, "cidr_blocks": [True], "rule": [{"id": True}], "arn": True,
            "grant": [], "logging": False}
    merged = merge_unknown(after, mask, "aws_x.y")
    assert merged["tags"] == {"env": "prod", "owner": Unknown("aws_x.y.tags.owner is known only after apply")}
    assert merged["cidr_blocks"] == [Unknown("aws_x.y.cidr_blocks[0] is known only after apply"), "10.0.0.0/8"]
    assert merged["rule"] == [{"id": Unknown("aws_x.y.rule[0].id is known only after apply")}]
    assert merged["arn"] == Unknown("aws_x.y.arn is known only after apply")
    assert "grant" not in merged and "logging" not in merged
    assert after == {"tags": {"env": "prod"}, "cidr_blocks": [None, "10.0.0.0/8"], "rule": [{}]}


def test_sensitive_paths():
    mask = {"environment": [{"variables": {"SECRET": True, "STAGE": False}}], "user_data": True,
            "tags": {}}
    assert list(sensitive_paths(mask)) == ["environment[0].variables.SECRET", "user_data"]
    assert list(sensitive_paths(True, {"a": 1, "b": 2})) == ["a", "b"]
    assert list(sensitive_paths(False)) == []


# ---------------------------------------------------------------------------------- robustness

_leaves = st.none() | st.booleans() | st.integers() | st.text(max_size=8) | st.sampled_from(
    ["aws_s3_bucket.b", "module.m.out", "var.x", "each.value", "module.m[0]", "1.2", "create", "delete"])
_keys = st.sampled_from([
    "format_version", "resource_changes", "planned_values", "configuration", "root_module", "module_calls",
    "module", "resources", "child_modules", "address", "type", "name", "mode", "index", "module_address",
    "change", "actions", "after", "after_unknown", "after_sensitive", "before", "expressions", "references",
    "constant_value", "outputs", "expression", "variables", "provider_config", "output_changes", "value",
    "source", "for_each_expression", "count_expression", "bucket", "m", "x", "out", "aws"])
_json = st.recursive(_leaves, lambda children: st.lists(children, max_size=4)
                     | st.dictionaries(_keys, children, max_size=6), max_leaves=40)


@settings(max_examples=300, deadline=None)
@given(body=st.dictionaries(_keys, _json, max_size=8))
def test_load_plan_never_raises_on_arbitrary_plan_shaped_json(body):
    body.setdefault("format_version", "1.2")
    body.setdefault("resource_changes", [])
    result = load_plan("fuzz.json", body)
    for resource in result.resources:
        assert isinstance(resource.attrs, dict)
        assert all(isinstance(a, str) for refs in resource.refs.values() for a in refs)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=200) | _json.map(lambda v: json.dumps(v).encode()))
def test_decode_plan_never_raises(data):
    decoded, error = decode_plan("fuzz.json", data)
    assert (error is None) or decoded is None


_FIXTURE_PLANS = [json.loads(p.read_text()) for p in
                  sorted((Path(__file__).parent / "fixtures" / "plan").glob("*/plan.json"))]


def _replace_somewhere(tree, choices, replacement):
    """A copy of ``tree`` with the node reached by following ``choices`` replaced."""
    if not choices or not isinstance(tree, (dict, list)) or not tree:
        return replacement
    keys = list(tree) if isinstance(tree, dict) else list(range(len(tree)))
    key = keys[choices[0] % len(keys)]
    copy = dict(tree) if isinstance(tree, dict) else list(tree)
    copy[key] = _replace_somewhere(tree[key], choices[1:], replacement)
    return copy


@settings(max_examples=300, deadline=None)
@given(which=st.integers(0, 100), choices=st.lists(st.integers(0, 50), min_size=1, max_size=9),
       replacement=_json)
def test_load_plan_never_raises_on_corrupted_real_plans(which, choices, replacement):
    plan = _replace_somewhere(_FIXTURE_PLANS[which % len(_FIXTURE_PLANS)], choices, replacement)
    result = load_plan("fuzz.json", plan)
    assert isinstance(result.resources, list)
