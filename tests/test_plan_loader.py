"""The plan JSON loader on real `terraform show -json` output (Terraform 1.11, AWS provider 5.100).

The plans under tests/fixtures/plan/<case>/plan.json are generated from the configurations beside
them by `tests/fixtures/regenerate.sh tests/fixtures/plan`."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from iacgate.adapters.plan.loader import decode_plan, load_plan, looks_like_plan
from iacgate.raw import LoadResult, RawResource
from iacgate.values import Unknown, Unresolved

FIXTURES = Path(__file__).parent / "fixtures" / "plan"


def load_case(case: str) -> tuple[LoadResult, dict[str, RawResource]]:
    path = FIXTURES / case / "plan.json"
    plan, error = decode_plan(str(path), path.read_bytes())
    assert error is None
    result = load_plan(str(path), plan)
    assert [e for e in result.errors if e.kind == "error"] == []
    return result, {r.address: r for r in result.resources}


# ----------------------------------------------------------------------------- split S3 resources


def test_split_bucket_satellites_link_to_the_bucket_whose_name_is_unknown():
    _, by_address = load_case("split_bucket")
    for satellite in ("aws_s3_bucket_public_access_block.b", "aws_s3_bucket_policy.b",
                      "aws_s3_bucket_acl.b", "aws_s3_bucket_ownership_controls.b"):
        resource = by_address[satellite]
        assert resource.source_kind == "plan"
        assert resource.line is None and resource.end_line is None
        assert isinstance(resource.attrs["bucket"], Unknown)
        assert resource.refs["bucket"] == ["aws_s3_bucket.b"]
    pab = by_address["aws_s3_bucket_public_access_block.b"]
    assert pab.attrs["bucket"].reason == ("aws_s3_bucket_public_access_block.b.bucket is known only after apply; "
                                          "it is derived from aws_s3_bucket.b")
    assert pab.attrs["bucket"].derived_from == ("aws_s3_bucket.b",)
    assert pab.attrs["block_public_acls"] is True and pab.attrs["block_public_policy"] is False
    assert pab.actions == ("create",) and pab.before is None
    assert pab.meta["config_address"] == "aws_s3_bucket_public_access_block.b"
    assert "module_source" not in pab.meta


def test_split_bucket_known_values_and_policy_document_references():
    _, by_address = load_case("split_bucket")
    assert by_address["aws_s3_bucket_acl.b"].attrs["acl"] == "public-read"
    bucket = by_address["aws_s3_bucket.b"]
    assert bucket.attrs["bucket_prefix"] == "logs-"
    assert isinstance(bucket.attrs["bucket"], Unknown)  # absent from `after`, true in after_unknown
    policy = by_address["aws_s3_bucket_policy.b"]
    assert isinstance(policy.attrs["policy"], Unknown)
    assert policy.refs["policy"] == ["data.aws_iam_policy_document.public_read"]
    document = by_address["data.aws_iam_policy_document.public_read"]
    assert document.mode == "data" and document.actions == ("read",)
    statement = document.attrs["statement"][0]
    assert statement["principals"] == [{"identifiers": ["*"], "type": "*"}]
    assert isinstance(statement["resources"][0], Unknown)  # positional after_unknown list
    assert document.refs["statement.resources"] == ["aws_s3_bucket.b"]
    named = by_address["aws_s3_bucket_policy.named"]
    assert json.loads(named.attrs["policy"])["Statement"][0]["Effect"] == "Deny"
    assert named.refs["bucket"] == ["aws_s3_bucket.named"]


def test_partially_known_nested_block_keeps_known_leaves():
    _, by_address = load_case("split_bucket")
    ownership = by_address["aws_s3_bucket_ownership_controls.b"]
    assert ownership.attrs["rule"] == [{"object_ownership": "BucketOwnerPreferred"}]
    hardened = by_address["aws_instance.hardened"].attrs["metadata_options"][0]
    assert hardened["http_tokens"] == "required"
    assert isinstance(hardened["http_put_response_hop_limit"], Unknown)
    # An omitted metadata_options block is computed by the provider: the whole block is unknown.
    web = by_address["aws_instance.web"].attrs["metadata_options"]
    assert web == Unknown("aws_instance.web.metadata_options is known only after apply")


# ------------------------------------------------------------------------------ count / for_each


def test_count_and_for_each_twins_link_by_index():
    _, by_address = load_case("count_for_each")
    assert by_address["aws_s3_bucket.c[1]"].index == 1
    assert by_address['aws_s3_bucket.f["logs"]'].index == "logs"
    assert by_address["aws_s3_bucket_public_access_block.c[0]"].refs["bucket"] == ["aws_s3_bucket.c[0]"]
    assert by_address["aws_s3_bucket_public_access_block.c[1]"].refs["bucket"] == ["aws_s3_bucket.c[1]"]
    # for_each = aws_s3_bucket.f with bucket = each.value.id
    assert by_address['aws_s3_bucket_public_access_block.f["data"]'].refs["bucket"] == ['aws_s3_bucket.f["data"]']
    # for_each = toset([...]) with bucket = aws_s3_bucket.f[each.key].id
    assert by_address['aws_s3_bucket_versioning.f["logs"]'].refs["bucket"] == ['aws_s3_bucket.f["logs"]']
    # A literal index names one instance.
    assert by_address["aws_s3_bucket_policy.first"].refs["bucket"] == ["aws_s3_bucket.c[0]"]


def test_unindexed_reference_to_repeated_resource_lists_every_instance():
    _, by_address = load_case("count_for_each")
    output = by_address["output.counted_bucket_ids"]
    assert output.mode == "output"
    assert output.refs == {"value": ["aws_s3_bucket.c[0]", "aws_s3_bucket.c[1]"]}
    assert all(isinstance(v, Unknown) for v in output.attrs["value"])
    assert output.attrs["sensitive"] is False


# ------------------------------------------------------------------------------------- modules


def test_module_resources_link_within_their_module_instance():
    _, by_address = load_case("modules")
    pab = by_address["module.one.aws_s3_bucket_public_access_block.this"]
    assert pab.module == "module.one"
    assert pab.refs["bucket"] == ["module.one.aws_s3_bucket.this"]
    assert pab.meta["module_source"] == ["./modules/bucket"]
    assert pab.meta["config_address"] == "aws_s3_bucket_public_access_block.this"
    nested = by_address["module.outer.module.inner.aws_s3_bucket_public_access_block.this"]
    assert nested.module == "module.outer.module.inner"
    assert nested.refs["bucket"] == ["module.outer.module.inner.aws_s3_bucket.this"]
    assert nested.meta["module_source"] == ["./modules/outer", "../bucket"]
    for i in (0, 1):
        counted = by_address[f"module.counted[{i}].aws_s3_bucket_public_access_block.this"]
        assert counted.module == f"module.counted[{i}]"
        assert counted.refs["bucket"] == [f"module.counted[{i}].aws_s3_bucket.this"]
        assert counted.attrs["restrict_public_buckets"] is False


def test_module_outputs_are_followed_to_the_resource_inside():
    _, by_address = load_case("modules")
    assert by_address["aws_s3_bucket_policy.one"].refs == {
        "bucket": ["module.one.aws_s3_bucket.this"], "policy": ["module.one.aws_s3_bucket.this"]}
    # Two levels: module.outer's output is module.inner's output.
    assert by_address["aws_s3_bucket_policy.outer"].refs["bucket"] == [
        "module.outer.module.inner.aws_s3_bucket.this"]


def test_module_inputs_and_repeated_modules_link_twins():
    _, by_address = load_case("module_links")
    # bucket = var.bucket_id, set by the module call to aws_s3_bucket.shared.id
    assert by_address["module.shared_pab.aws_s3_bucket_public_access_block.this"].refs["bucket"] == [
        "aws_s3_bucket.shared"]
    # module "team_pab" { count = 2, bucket_id = aws_s3_bucket.team[count.index].id }
    for i in (0, 1):
        assert by_address[f"module.team_pab[{i}].aws_s3_bucket_public_access_block.this"].refs["bucket"] == [
            f"aws_s3_bucket.team[{i}]"]
        # bucket = module.site[count.index].bucket_id (recorded as just `module.site`)
        assert by_address[f"aws_s3_bucket_ownership_controls.site[{i}]"].refs["bucket"] == [
            f"module.site[{i}].aws_s3_bucket.this"]
    assert by_address["aws_s3_bucket_versioning.site_first"].refs["bucket"] == [
        "module.site[0].aws_s3_bucket.this"]


# ------------------------------------------------------------------------------ deleted resources


def test_deleted_and_replaced_resources():
    """Real plan: the configuration's terraform.tfstate records resources from an earlier apply."""
    _, by_address = load_case("deleted")
    retired = by_address["aws_s3_bucket.retired"]
    assert retired.actions == ("delete",) and retired.deleted
    assert retired.attrs == {}
    assert retired.before["bucket"] == "acme-retired-public"
    assert retired.meta["action_reason"] == "delete_because_no_resource_config"
    pab = by_address["aws_s3_bucket_public_access_block.retired"]
    assert pab.deleted and pab.before["block_public_acls"] is False
    kept = by_address["aws_s3_bucket.kept"]
    assert kept.actions == ("delete", "create") and not kept.deleted
    assert kept.attrs["bucket"] == "acme-kept-v2" and kept.before["bucket"] == "acme-kept-v1"


# ------------------------------------------------------------------- sensitive values, variables


def test_sensitive_paths_variables_and_outputs():
    _, by_address = load_case("sensitive")
    function = by_address["aws_lambda_function.report"]
    assert function.sensitive_paths == ("environment[0].variables.SECRET",)
    assert function.refs["role"] == ["aws_iam_role.fn"]
    assert by_address["aws_instance.app"].sensitive_paths == ("user_data",)
    password = by_address["var.db_password"]
    assert password.mode == "variable"
    assert password.attrs["sensitive"] is True
    assert set(password.sensitive_paths) == {"value", "default"}
    environment = by_address["var.environment"]
    assert environment.attrs == {"value": "staging", "default": "staging", "sensitive": False}
    assert environment.sensitive_paths == ()
    secret_output = by_address["output.db_password"]
    assert secret_output.attrs["sensitive"] is True and secret_output.sensitive_paths == ("value",)
    arn_output = by_address["output.function_arn"]
    assert arn_output.attrs["value"] == Unknown("output.function_arn is known only after apply")
    assert arn_output.refs == {"value": ["aws_lambda_function.report"]}


# ------------------------------------------------------------------------------------- providers


def test_provider_configurations_with_static_keys_and_assume_role():
    _, by_address = load_case("provider")
    audit = by_address["provider.aws.audit"]
    assert audit.mode == "provider" and audit.name == "audit"
    assert audit.attrs["access_key"] == "AKIAIOSFODNN7EXAMPLE"
    assert audit.attrs["secret_key"].endswith("EXAMPLEKEY")
    assert audit.attrs["assume_role"] == [
        {"role_arn": "arn:aws:iam::123456789012:role/audit", "session_name": "iacgate"}]
    default = by_address["provider.aws"]
    assert default.attrs["region"] == "eu-west-1"


def test_provider_argument_that_is_not_a_constant_is_unresolved():
    plan = _minimal_plan(configuration={"provider_config": {"aws": {
        "name": "aws", "expressions": {"access_key": {"references": ["var.key"]}, "token": {}}}}})
    provider = _by_address(load_plan("p.json", plan))["provider.aws"]
    assert isinstance(provider.attrs["access_key"], Unresolved)
    assert provider.attrs["access_key"].expr == "var.key"
    assert isinstance(provider.attrs["token"], Unresolved)


# ------------------------------------------------------------------------------ hand-built plans


def _minimal_plan(**extra):
    plan = {"format_version": "1.2", "terraform_version": "1.11.4", "planned_values": {"root_module": {}},
            "resource_changes": [], "errored": False}
    plan.update(extra)
    return plan


def _by_address(result: LoadResult) -> dict[str, RawResource]:
    return {r.address: r for r in result.resources}


def test_whole_value_unknown_marks_every_attribute():
    change = {"address": "aws_s3_bucket_policy.p", "mode": "managed", "type": "aws_s3_bucket_policy",
              "name": "p", "change": {"actions": ["create"], "before": None,
                                     "after": {"bucket": "x", "policy": None}, "after_unknown": True}}
    resource = _by_address(load_plan("p.json", _minimal_plan(resource_changes=[change])))["aws_s3_bucket_policy.p"]
    assert resource.meta["after_unknown_all"] is True
    assert all(isinstance(v, Unknown) for v in resource.attrs.values())
    assert set(resource.attrs) == {"bucket", "policy"}


def test_unknown_leaf_that_is_null_in_after_is_unknown():
    change = {"address": "aws_s3_bucket_acl.a", "mode": "managed", "type": "aws_s3_bucket_acl", "name": "a",
              "change": {"actions": ["update"], "before": {"acl": "private"},
                         "after": {"acl": None, "grant": [{"permission": "READ", "grantee": [{"uri": None}]}]},
                         "after_unknown": {"acl": True, "grant": [{"grantee": [{"uri": True}]}]}}}
    resource = _by_address(load_plan("p.json", _minimal_plan(resource_changes=[change])))["aws_s3_bucket_acl.a"]
    assert isinstance(resource.attrs["acl"], Unknown)
    assert resource.attrs["grant"][0]["permission"] == "READ"
    assert resource.attrs["grant"][0]["grantee"][0]["uri"] == Unknown(
        "aws_s3_bucket_acl.a.grant[0].grantee[0].uri is known only after apply")
    assert resource.before == {"acl": "private"}
    assert change["change"]["after"]["acl"] is None  # the decoded plan is not modified


def test_planned_values_fallback_when_resource_changes_is_absent():
    plan = {"format_version": "0.1", "planned_values": {"root_module": {
        "resources": [{"address": "aws_s3_bucket.b", "mode": "managed", "type": "aws_s3_bucket", "name": "b",
                       "values": {"bucket": "legacy", "acl": "public-read"}}],
        "child_modules": [{"address": "module.m", "resources": [
            {"address": "module.m.aws_s3_bucket_public_access_block.p", "mode": "managed",
             "type": "aws_s3_bucket_public_access_block", "name": "p", "values": {"block_public_acls": True}}]}]}},
        "configuration": {"root_module": {"module_calls": {"m": {"source": "./m", "module": {"resources": [
            {"address": "aws_s3_bucket.inner", "mode": "managed", "type": "aws_s3_bucket", "name": "inner"},
            {"address": "aws_s3_bucket_public_access_block.p", "mode": "managed",
             "type": "aws_s3_bucket_public_access_block", "name": "p",
             "expressions": {"bucket": {"references": ["aws_s3_bucket.inner.id", "aws_s3_bucket.inner"]}}}]}}}}}}
    result = load_plan("legacy.json", plan)
    by_address = _by_address(result)
    assert by_address["aws_s3_bucket.b"].attrs["acl"] == "public-read"
    assert by_address["aws_s3_bucket.b"].meta["planned_values_only"] is True
    pab = by_address["module.m.aws_s3_bucket_public_access_block.p"]
    assert pab.module == "module.m" and pab.meta["module_source"] == ["./m"]
    # The referenced bucket has no planned value here: the address is still named.
    assert pab.refs["bucket"] == ["module.m.aws_s3_bucket.inner"]
    assert [e.kind for e in result.errors] == ["warning"]
    assert "no resource_changes" in result.errors[0].message


def test_moved_and_deposed_metadata_are_kept():
    changes = [{"address": "aws_s3_bucket.new", "previous_address": "aws_s3_bucket.old", "mode": "managed",
                "type": "aws_s3_bucket", "name": "new",
                "change": {"actions": ["no-op"], "before": {"bucket": "b"}, "after": {"bucket": "b"},
                           "after_unknown": {}}},
               {"address": "aws_s3_bucket.new", "deposed": "00000001", "mode": "managed",
                "type": "aws_s3_bucket", "name": "new",
                "change": {"actions": ["delete"], "before": {"bucket": "old"}, "after": None}}]
    resources = load_plan("p.json", _minimal_plan(resource_changes=changes)).resources
    assert resources[0].meta["previous_address"] == "aws_s3_bucket.old"
    assert resources[1].meta["deposed"] == "00000001" and resources[1].deleted


# ---------------------------------------------------------------------------- validation / errors


@pytest.mark.parametrize("data", [
    {"format_version": "1.2", "planned_values": {}},
    {"format_version": "0.1", "resource_changes": []},
])
def test_looks_like_plan(data):
    assert looks_like_plan(data)


@pytest.mark.parametrize("data", [
    None, [], "plan", {"format_version": "1.0", "values": {}},  # a state file
    {"planned_values": {}, "resource_changes": []}, {"AWSTemplateFormatVersion": "2010-09-09"},
])
def test_not_a_plan(data):
    assert not looks_like_plan(data)
    result = load_plan("x.json", data)
    assert result.resources == [] and len(result.errors) == 1
    assert "not a Terraform plan" in result.errors[0].message


@pytest.mark.parametrize("version", ["2.0", "10.1", 1.2, None])
def test_unsupported_format_version(version):
    result = load_plan("p.json", _minimal_plan(format_version=version))
    assert result.resources == []
    assert result.errors[0].message.startswith("unsupported plan format_version")


def test_errored_plan_is_refused():
    result = load_plan("p.json", _minimal_plan(errored=True))
    assert result.resources == [] and result.errors[0].kind == "error"
    assert "errored" in result.errors[0].message


def test_truncated_json_reports_the_line():
    plan = json.loads((FIXTURES / "split_bucket" / "plan.json").read_text())
    lines = json.dumps(plan, indent=2).splitlines()
    truncated = "\n".join(lines[:40]) + "\n"
    decoded, error = decode_plan("plan.json", truncated.encode())
    assert decoded is None
    assert error.line == 41 and error.kind == "error"
    assert error.message.startswith("invalid JSON") and "line 41" in error.message


@pytest.mark.parametrize("data", [b"", b"\xff\xfe{", b"[" * 100_000, b"{\"a\": tru}"])
def test_bad_bytes_give_an_input_error(data):
    plan, error = decode_plan("plan.json", data)
    assert plan is None and error is not None and error.file == "plan.json"


def test_decode_accepts_a_byte_order_mark_and_restores_gc():
    import gc
    assert gc.isenabled()
    plan, error = decode_plan("plan.json", b"\xef\xbb\xbf" + json.dumps(_minimal_plan()).encode())
    assert error is None and looks_like_plan(plan)
    assert gc.isenabled()


def test_malformed_entries_are_reported_not_raised():
    plan = _minimal_plan(resource_changes=["oops", {"address": "aws_s3_bucket.b"},
                                           {"address": "aws_s3_bucket.c", "type": "aws_s3_bucket", "name": "c",
                                            "mode": "managed", "change": {"actions": ["create"],
                                                                          "after": {"bucket": "c"}}}],
                         configuration={"root_module": {"resources": "nope", "module_calls": []}})
    result = load_plan("p.json", plan)
    assert [r.address for r in result.resources if r.mode == "managed"] == ["aws_s3_bucket.c"]
    assert len([e for e in result.errors if e.kind == "error"]) == 2
