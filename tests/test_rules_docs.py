"""docs/rules.md: the facts section is generated from the catalog, and its examples are valid."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

from iacgate.findings import Subject
from iacgate.rules.catalog import FACT_CATALOG, main, markdown
from iacgate.rules.engine import evaluate
from iacgate.rules.loader import compile_rule, schema_errors
from iacgate.values import Source, known

DOC = Path(__file__).parents[1] / "docs" / "rules.md"


def doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


def test_committed_facts_section_matches_the_catalog() -> None:
    text = doc_text()
    generated = markdown()
    assert text.endswith(generated) or text.endswith(generated + "\n"), (
        "docs/rules.md is out of date: run `python -m iacgate.rules.catalog --markdown` and "
        "replace the facts section")


def test_catalog_module_prints_the_section() -> None:
    result = subprocess.run([sys.executable, "-m", "iacgate.rules.catalog", "--markdown"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert result.stdout == markdown()
    assert main(["--bogus"]) == 2


def test_catalog_lists_every_kind_and_fact_of_the_contract() -> None:
    assert set(FACT_CATALOG) >= {"s3_bucket", "s3_account_public_access_block", "ec2_launch_site",
                                 "ec2_security_group", "credential", "iam_access_key"}
    settings = ("block_public_acls", "block_public_policy", "ignore_public_acls",
                "restrict_public_buckets")
    assert set(FACT_CATALOG["s3_bucket"]) >= {
        "name", "declared", "versioning.enabled", "versioning.mfa_delete", "encryption.enabled",
        "encryption.algorithm", "logging.enabled", "website.enabled", "public_access_block.present",
        *(f"public_access_block.{s}" for s in settings), *(f"effective_block.{s}" for s in settings),
        "effective_block.all", "effective_block.declared", "ownership.acls_disabled", "acl.public",
        "acl.canned", "policy.present", "policy.aws_public", "policy.effective_public",
        "policy.any_principal", "policy.all_actions", "policy.all_actions_public",
        "policy.allow_not_principal", "policy.allow_not_action", "policy.broad_source_ip",
        "policy.denies_insecure_transport", "exposure.public", "exposure.public_read",
        "exposure.public_write", "exposure.public_list", "exposure.public_acl_change",
        "exposure.via_acl", "exposure.via_policy", "exposure.via_access_point",
        "exposure.blocked_at_apply", "exposure.summary"}
    assert set(FACT_CATALOG["s3_account_public_access_block"]) >= {*settings, "all"}
    assert set(FACT_CATALOG["ec2_launch_site"]) >= {
        "site_kind", "imds.endpoint_enabled", "imds.tokens_required", "imds.hop_limit",
        "imds.hosts_containers", "imds.decided_by", "role.present", "role.can_read_s3",
        "role.readable_buckets", "egress.unrestricted", "path.ssrf_to_s3"}
    for facts in FACT_CATALOG.values():
        for path, description in facts.items():
            assert re.fullmatch(r"[a-z_]+(\.[a-z_0-9]+)*", path)
            assert description.strip()


def doc_rules() -> list[dict]:
    blocks = re.findall(r"```yaml\n(.*?)```", doc_text(), flags=re.S)
    return [data for data in map(yaml.safe_load, blocks) if isinstance(data, dict) and "id" in data]


def test_the_two_examples_are_valid_rules() -> None:
    rules = doc_rules()
    assert [r["id"] for r in rules] == ["acme.s3.versioning-required",
                                        "acme.ec2.launch-template-metadata-options"]
    for data in rules:
        assert schema_errors(data, "docs/rules.md") == []
        rule, errors = compile_rule(data, "docs/rules.md")
        assert errors == [] and rule is not None


def test_the_launch_template_example_behaves_as_documented() -> None:
    data = doc_rules()[1]
    rule, _ = compile_rule(data, "docs/rules.md")
    src = Source("compute.tf", 1, 20, "aws_launch_template.app")

    def template(**facts) -> Subject:
        return Subject("ec2_launch_site", "aws_launch_template.app", "aws_launch_template",
                       "terraform", src, {k.replace("__", "."): known(v) for k, v in facts.items()})

    omitted = template(name="app", site_kind="launch_template", imds__decided_by="EC2 default",
                       imds__tokens_required=False)
    explicit = template(name="app", site_kind="launch_template", imds__decided_by="resource",
                        imds__tokens_required=True)
    instance = template(name="web", site_kind="instance", imds__decided_by="EC2 default")
    [finding] = evaluate([rule], [omitted, explicit, instance])
    assert finding.severity == "high"
    assert finding.message == ("Launch template app does not set metadata_options; its IMDS "
                               "settings come from EC2 default (tokens required: false).")
