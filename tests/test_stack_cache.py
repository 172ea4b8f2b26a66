"""Findings of unchanged Terraform root modules are reused between runs: a warm run reports exactly
what a run without the cache reports, and any change to what a root was made from (its files, the
modules it calls, files read by file(), variable files, options, rules, the code) re-analyses it."""
from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import pytest
from test_tf_support import write_tree

from iacgate.account import load_account_context
from iacgate.adapters.terraform import loader as tf_loader
from iacgate.load import LoadOptions
from iacgate.report.json_report import report_data
from iacgate.scan import ScanOptions, scan
from iacgate.stack_cache import CACHE_SUBDIR, StackCache, StackFindings, _EntryUnpickler

MODULE = {
    "modules/bucket/main.tf": """
        variable "name" {}
        variable "acl" {
          default = "private"
        }
        resource "aws_s3_bucket" "this" {
          bucket = var.name
        }
        resource "aws_s3_bucket_acl" "this" {
          bucket = aws_s3_bucket.this.id
          acl    = var.acl
        }
        resource "aws_s3_bucket_policy" "this" {
          bucket = aws_s3_bucket.this.id
          policy = file("${path.module}/policy.json")
        }
        """,
    "modules/bucket/policy.json": json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::x/*"}]}),
}


def _stack(name: str, acl: str = "private") -> dict[str, str]:
    return {
        f"stacks/{name}/main.tf": f"""
            variable "env" {{}}
            module "logs" {{
              source = "../../modules/bucket"
              name   = "{name}-logs-${{var.env}}"
              acl    = "{acl}"
            }}
            resource "aws_instance" "web" {{
              ami           = "ami-12345678"
              instance_type = "t3.micro"
              user_data     = fileexists("${{path.module}}/boot.sh") ? "boot" : "none"
            }}
            """,
        f"stacks/{name}/terraform.tfvars": 'env = "prod"\n',
    }


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "infra"
    write_tree(root, {**MODULE, **_stack("alpha"), **_stack("beta"), **_stack("gamma", acl="public-read")})
    return root


class Runs:
    """Scans with a cache folder, counting the root modules the loader evaluated."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.cache = str(tmp_path / "cache")
        self.evaluated: list[str] = []
        original = tf_loader._Loader._evaluate_root

        def counting(loader: tf_loader._Loader, directory: str, files: list[str]) -> object:
            self.evaluated.append(os.path.basename(directory))
            return original(loader, directory, files)

        monkeypatch.setattr(tf_loader._Loader, "_evaluate_root", counting)

    def report(self, root: Path, cached: bool = True, **options: object) -> dict:
        load = LoadOptions(cache_dir=self.cache if cached else None,
                           **{k: v for k, v in options.items() if k in ("vars", "var_files")})
        scan_options = ScanOptions(load=load, **{k: v for k, v in options.items() if k not in ("vars", "var_files")})
        self.evaluated = []
        return report_data(scan([str(root)], scan_options))

    def check(self, root: Path, **options: object) -> list[str]:
        """A cached run's report equals an uncached one's; returns the roots the cached run evaluated."""
        warm = self.report(root, **options)
        evaluated = sorted(self.evaluated)
        assert warm == self.report(root, cached=False, **options)
        return evaluated


@pytest.fixture
def runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Runs:
    return Runs(tmp_path, monkeypatch)


def test_a_warm_run_reuses_every_unchanged_root_and_reports_the_same(tree: Path, runs: Runs) -> None:
    assert runs.check(tree) == ["alpha", "beta", "gamma"]
    assert runs.check(tree) == []
    report = runs.report(tree)
    assert report["summary"]["files"] == 7
    assert report["summary"]["resources"] == 12
    public = [f for f in report["findings"] if f["concept"] == "s3-public-acl"]
    assert [f["resource"]["address"] for f in public] == ["module.logs.aws_s3_bucket.this"]
    assert public[0]["location"]["file"].endswith(os.path.join("modules", "bucket", "main.tf"))
    assert "gamma-logs-prod" in public[0]["message"]


def test_editing_a_root_re_analyses_only_that_root(tree: Path, runs: Runs) -> None:
    runs.check(tree)
    main = tree / "stacks" / "beta" / "main.tf"
    main.write_text(main.read_text().replace('"private"', '"public-read-write"'))
    assert runs.check(tree) == ["beta"]


def test_editing_a_called_module_re_analyses_every_root_that_calls_it(tree: Path, runs: Runs) -> None:
    runs.check(tree)
    module = tree / "modules" / "bucket" / "main.tf"
    module.write_text(module.read_text().replace('default = "private"', 'default = "public-read"'))
    assert runs.check(tree) == ["alpha", "beta", "gamma"]


def test_a_new_file_in_a_module_folder_is_seen(tree: Path, runs: Runs) -> None:
    runs.check(tree)
    (tree / "modules" / "bucket" / "versioning.tf").write_text(
        'resource "aws_s3_bucket_versioning" "this" {\n  bucket = aws_s3_bucket.this.id\n'
        '  versioning_configuration {\n    status = "Enabled"\n  }\n}\n')
    assert runs.check(tree) == ["alpha", "beta", "gamma"]


def test_a_file_read_by_file_and_a_fileexists_test_are_dependencies(tree: Path, runs: Runs) -> None:
    runs.check(tree)
    policy = tree / "modules" / "bucket" / "policy.json"
    policy.write_text(policy.read_text().replace('{"AWS": "arn:aws:iam::111122223333:root"}', '"*"'))
    assert runs.check(tree) == ["alpha", "beta", "gamma"]
    (tree / "stacks" / "alpha" / "boot.sh").write_text("#!/bin/sh\n")
    assert runs.check(tree) == ["alpha"]


def test_variable_files_and_options_are_part_of_what_a_root_is_made_from(tree: Path, runs: Runs,
                                                                         tmp_path: Path) -> None:
    runs.check(tree)
    (tree / "stacks" / "gamma" / "terraform.tfvars").write_text('env = "dev"\n')
    assert runs.check(tree) == ["gamma"]
    assert runs.check(tree, vars={"env": "qa"}) == ["alpha", "beta", "gamma"]
    extra = tmp_path / "extra.tfvars"
    extra.write_text('env = "one"\n')
    assert runs.check(tree, var_files=[str(extra)]) == ["alpha", "beta", "gamma"]
    assert runs.check(tree, var_files=[str(extra)]) == []
    extra.write_text('env = "two"\n')
    assert runs.check(tree, var_files=[str(extra)]) == ["alpha", "beta", "gamma"]


def test_rules_and_analysis_settings_select_other_entries(tree: Path, runs: Runs, tmp_path: Path) -> None:
    runs.check(tree)
    assert runs.check(tree, skip=["IG-S3-001"]) == ["alpha", "beta", "gamma"]
    assert runs.check(tree, skip=["IG-S3-001"]) == []
    context = tmp_path / "account.yaml"
    context.write_text("s3_public_access_block:\n  block_public_acls: true\n  ignore_public_acls: true\n")
    blocks, error = load_account_context(str(context))
    assert error is None
    assert runs.check(tree, account_blocks=blocks) == ["alpha", "beta", "gamma"]
    assert not [f for f in runs.report(tree, account_blocks=blocks)["findings"] if f["concept"] == "s3-public-acl"]
    assert runs.check(tree) == []


def test_a_remote_module_downloaded_by_terraform_init_is_a_dependency(tmp_path: Path, runs: Runs) -> None:
    root = tmp_path / "svc"
    write_tree(root, {
        "main.tf": 'module "store" {\n  source  = "example/bucket/aws"\n  version = "1.0.0"\n}\n',
        ".terraform/modules/modules.json": json.dumps({"Modules": [
            {"Key": "", "Source": "", "Dir": "."},
            {"Key": "store", "Source": "registry.terraform.io/example/bucket/aws", "Dir": ".terraform/modules/store"}]}),
        ".terraform/modules/store/main.tf": 'resource "aws_s3_bucket" "b" {\n  bucket = "store"\n}\n',
    })
    assert runs.check(root) == ["svc"]
    assert runs.check(root) == []
    (root / ".terraform" / "modules" / "store" / "main.tf").write_text(
        'resource "aws_s3_bucket" "b" {\n  bucket = "store"\n}\n'
        'resource "aws_s3_bucket_acl" "b" {\n  bucket = aws_s3_bucket.b.id\n  acl    = "public-read"\n}\n')
    assert runs.check(root) == ["svc"]
    report = runs.report(root)
    assert any(f["resource"]["address"] == "module.store.aws_s3_bucket.b" and f["concept"] == "s3-public-acl"
               for f in report["findings"])


def test_a_parse_error_in_a_shared_module_is_reported_once_whether_roots_are_reused_or_not(
        tree: Path, runs: Runs) -> None:
    (tree / "modules" / "bucket" / "broken.tf").write_text('resource "aws_s3_bucket" "x" {\n  bucket = \n')
    cold = runs.report(tree)
    assert cold["summary"]["decision"] == "error"
    broken = [e for e in cold["errors"] if e["file"].endswith("broken.tf")]
    assert len(broken) == 1
    main = tree / "stacks" / "beta" / "main.tf"
    main.write_text(main.read_text() + "\n")
    assert runs.check(tree) == ["beta"]
    warm = runs.report(tree)
    assert [e for e in warm["errors"] if e["file"].endswith("broken.tf")] == broken


def test_a_corrupt_entry_is_a_miss(tree: Path, runs: Runs) -> None:
    runs.check(tree)
    for entry in Path(runs.cache, CACHE_SUBDIR).rglob("*.pickle"):
        entry.write_bytes(b"not a pickle")
    assert runs.check(tree) == ["alpha", "beta", "gamma"]
    assert runs.check(tree) == []


def test_without_a_cache_folder_nothing_is_stored(tree: Path, runs: Runs) -> None:
    runs.report(tree, cached=False)
    assert not Path(runs.cache).exists()


def test_entries_admit_only_finding_types(tmp_path: Path) -> None:
    payload = pickle.dumps(((), StackFindings([], {}, [], [], [], 0)))
    assert isinstance(_EntryUnpickler(__import__("io").BytesIO(payload)).load()[1], StackFindings)
    foreign = pickle.dumps(((), os.system))
    with pytest.raises(pickle.UnpicklingError):
        _EntryUnpickler(__import__("io").BytesIO(foreign)).load()
    cache = StackCache(str(tmp_path), lambda: ["settings"])
    entry = cache._entry("k")
    entry.parent.mkdir(parents=True)
    entry.write_bytes(foreign)
    assert cache.take("k", lambda reads: True) is None


TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Acl:
    Type: String
    Default: Private
Resources:
  Site:
    Type: AWS::S3::Bucket
    Properties:
      AccessControl: !Ref Acl
"""


def test_cloudformation_templates_are_reused_until_their_text_or_parameters_change(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from iacgate.adapters.cloudformation import loader as cfn_loader

    loaded: list[str] = []
    original = cfn_loader.load_cloudformation_document

    def counting(path: str, *args: object) -> object:
        loaded.append(Path(path).stem)
        return original(path, *args)

    monkeypatch.setattr(cfn_loader, "load_cloudformation_document", counting)
    root = tmp_path / "templates"
    root.mkdir()
    for name in ("one", "two"):
        (root / f"{name}.yaml").write_text(TEMPLATE)
    cache = str(tmp_path / "cache")

    def check(**load: object) -> list[str]:
        loaded.clear()
        warm = report_data(scan([str(root)], ScanOptions(load=LoadOptions(cache_dir=cache, **load))))
        seen = sorted(loaded)
        assert warm == report_data(scan([str(root)], ScanOptions(load=LoadOptions(**load))))
        return seen

    assert check() == ["one", "two"]
    assert check() == []
    (root / "two.yaml").write_text(TEMPLATE.replace("Default: Private", "Default: PublicRead"))
    assert check() == ["two"]
    assert check(cfn_params={"Acl": "PublicReadWrite"}) == ["one", "two"]
    report = report_data(scan([str(root)], ScanOptions(load=LoadOptions(cache_dir=cache))))
    assert sorted(Path(f["location"]["file"]).stem for f in report["findings"] if f["concept"] == "s3-public-acl") \
        == ["two"]


def test_input_errors_keep_one_order_whichever_roots_are_reused(tree: Path, runs: Runs) -> None:
    for name in ("alpha", "beta"):
        main = tree / "stacks" / name / "main.tf"
        main.write_text(main.read_text() + '\nmodule "extra" {\n  source = "example/extra/aws"\n}\n')
    runs.check(tree)
    beta = tree / "stacks" / "beta" / "main.tf"
    beta.write_text(beta.read_text() + "\n")
    assert runs.check(tree) == ["beta"]  # alpha from the cache, beta evaluated: same report, same order
    warnings = [e["file"] for e in runs.report(tree)["errors"] if "not analysed" in e["message"]]
    assert [Path(f).parent.name for f in warnings] == ["alpha", "beta"]
