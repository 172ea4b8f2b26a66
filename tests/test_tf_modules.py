"""Module instantiation: local modules with inputs and outputs, count/for_each, remote modules."""
from __future__ import annotations

import json
from pathlib import Path

from iacgate.values import Unresolved
from test_tf_support import by_address, load, write_tree

SECURE_BUCKET = {
    "modules/secure_bucket/variables.tf": '''\
        variable "bucket_name" {}
        variable "public" { default = false }
        ''',
    "modules/secure_bucket/main.tf": '''\
        resource "aws_s3_bucket" "this" {
          bucket = var.bucket_name
        }

        resource "aws_s3_bucket_public_access_block" "this" {
          bucket                  = aws_s3_bucket.this.id
          block_public_acls       = !var.public
          restrict_public_buckets = !var.public
        }

        module "logs" {
          source      = "../log_bucket"
          bucket_name = "${var.bucket_name}-logs"
        }
        ''',
    "modules/secure_bucket/outputs.tf": '''\
        output "bucket_id" { value = aws_s3_bucket.this.id }
        output "bucket_arn" { value = aws_s3_bucket.this.arn }
        output "log_bucket" { value = module.logs.name }
        ''',
    "modules/log_bucket/main.tf": '''\
        variable "bucket_name" {}
        resource "aws_s3_bucket" "log" {
          bucket = var.bucket_name
        }
        output "name" { value = aws_s3_bucket.log.bucket }
        ''',
}


def test_local_modules_are_instantiated_with_inputs_and_outputs(tmp_path: Path) -> None:
    write_tree(tmp_path, SECURE_BUCKET)
    write_tree(tmp_path, {"stacks/prod/main.tf": '''\
        locals { prefix = "acme-prod" }
        module "data" {
          source      = "../../modules/secure_bucket"
          bucket_name = "${local.prefix}-data"
        }
        module "site" {
          source      = "../../modules/secure_bucket"
          for_each    = toset(["www", "assets"])
          bucket_name = "${local.prefix}-${each.key}"
          public      = true
        }
        resource "aws_s3_bucket_policy" "data" {
          bucket = module.data.bucket_id
          policy = jsonencode({ Statement = [{ Resource = "${module.data.bucket_arn}/*" }] })
        }
        output "logs" { value = module.data.log_bucket }
        '''})
    result = load(tmp_path)
    resources = by_address(result)
    # the module folders are only called, never evaluated as roots on their own
    assert not any(r.address == "aws_s3_bucket.this" for r in result.resources)
    assert resources["module.data.aws_s3_bucket.this"].attrs["bucket"] == "acme-prod-data"
    assert resources["module.data.aws_s3_bucket.this"].module == "module.data"
    assert resources["module.data.aws_s3_bucket.this"].file.endswith("modules/secure_bucket/main.tf")
    assert resources["module.data.aws_s3_bucket.this"].line == 1
    pab = resources["module.data.aws_s3_bucket_public_access_block.this"]
    assert pab.attrs["block_public_acls"] is True
    assert pab.refs["bucket"] == ["module.data.aws_s3_bucket.this"]
    nested = resources["module.data.module.logs.aws_s3_bucket.log"]
    assert nested.attrs["bucket"] == "acme-prod-data-logs"
    assert nested.module == "module.data.module.logs"
    www = resources['module.site["www"].aws_s3_bucket.this']
    assert www.attrs["bucket"] == "acme-prod-www"
    assert resources['module.site["www"].aws_s3_bucket_public_access_block.this'].attrs["block_public_acls"] is False
    assert resources['module.site["www"].aws_s3_bucket_public_access_block.this'].refs["bucket"] == [
        'module.site["www"].aws_s3_bucket.this']
    policy = resources["aws_s3_bucket_policy.data"]
    assert policy.attrs["bucket"] == "acme-prod-data"
    assert json.loads(policy.attrs["policy"]) == {"Statement": [{"Resource": "arn:aws:s3:::acme-prod-data/*"}]}
    assert policy.refs["bucket"] == ["module.data.aws_s3_bucket.this"]
    assert resources["output.logs"].attrs["value"] == "acme-prod-data-logs"
    assert resources["module.data.var.bucket_name"].mode == "variable"
    assert result.errors == []


def test_module_inputs_link_back_to_the_callers_resources(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "modules/pab/main.tf": '''\
            variable "bucket_id" {}
            resource "aws_s3_bucket_public_access_block" "this" {
              bucket            = var.bucket_id
              block_public_acls = true
            }
            ''',
        "root/main.tf": '''\
            resource "aws_s3_bucket" "b" {
              count         = 2
              bucket_prefix = "acme-"
            }
            module "pab" {
              source    = "../modules/pab"
              count     = 2
              bucket_id = aws_s3_bucket.b[count.index].id
            }
            ''',
    })
    resources = by_address(load(tmp_path))
    pab = resources["module.pab[1].aws_s3_bucket_public_access_block.this"]
    assert pab.refs == {"bucket": ["aws_s3_bucket.b[1]"]}
    assert pab.index is None and pab.module == "module.pab[1]"


def test_remote_module_not_downloaded_is_a_warning_with_its_inputs(tmp_path: Path) -> None:
    result = load(tmp_path, {"main.tf": '''\
        module "s3_bucket" {
          source  = "terraform-aws-modules/s3-bucket/aws"
          version = "3.7.0"
          bucket  = "acme-remote"
          acl     = "public-read"
          versioning = { enabled = true }
        }
        output "arn" { value = module.s3_bucket.s3_bucket_arn }
        '''})
    resources = by_address(result)
    module = resources["module.s3_bucket"]
    assert module.mode == "module" and (module.line, module.end_line) == (1, 7)
    assert module.attrs == {"bucket": "acme-remote", "acl": "public-read", "versioning": {"enabled": True}}
    assert module.meta["source"] == "terraform-aws-modules/s3-bucket/aws" and module.meta["version"] == "3.7.0"
    warnings = [e for e in result.errors if e.kind == "warning"]
    assert [w.message for w in warnings] == [
        "module s3_bucket (source terraform-aws-modules/s3-bucket/aws) was not analysed: not downloaded"]
    assert warnings[0].line == 1
    assert isinstance(resources["output.arn"].attrs["value"], Unresolved)
    assert resources["output.arn"].refs == {"value": ["module.s3_bucket"]}


def test_downloaded_modules_are_loaded_from_the_manifest(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "root/main.tf": '''\
            module "bucket" {
              source  = "terraform-aws-modules/s3-bucket/aws"
              version = "4.1.0"
              bucket  = "acme-registry"
            }
            ''',
        "root/.terraform/modules/bucket/main.tf": '''\
            variable "bucket" {}
            resource "aws_s3_bucket" "this" {
              bucket = var.bucket
            }
            module "inner" {
              source = "terraform-aws-modules/other/aws"
            }
            ''',
        "root/.terraform/modules/bucket.inner/main.tf": '''\
            resource "aws_s3_bucket_acl" "this" {
              bucket = "inner"
              acl    = "private"
            }
            ''',
        "root/.terraform/modules/modules.json": json.dumps({"Modules": [
            {"Key": "", "Source": "", "Dir": "."},
            {"Key": "bucket", "Source": "registry.terraform.io/terraform-aws-modules/s3-bucket/aws",
             "Version": "4.1.0", "Dir": ".terraform/modules/bucket"},
            {"Key": "bucket.inner", "Source": "registry.terraform.io/terraform-aws-modules/other/aws",
             "Dir": ".terraform/modules/bucket.inner"},
        ]}),
    })
    result = load(tmp_path)
    resources = by_address(result)
    assert resources["module.bucket.aws_s3_bucket.this"].attrs["bucket"] == "acme-registry"
    assert resources["module.bucket.module.inner.aws_s3_bucket_acl.this"].attrs["acl"] == "private"
    assert "module.bucket" not in resources
    assert not any(e.kind == "warning" for e in result.errors)
    # the downloaded folder is not reported as a separate root
    assert not any(r.address == "aws_s3_bucket.this" for r in result.resources)


def test_module_that_calls_itself_is_an_input_error(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "root/main.tf": 'module "a" {\n  source = "../mods/a"\n}\n',
        "mods/a/main.tf": 'module "b" {\n  source = "../b"\n}\nresource "aws_s3_bucket" "a" { bucket = "a" }\n',
        "mods/b/main.tf": 'module "a" {\n  source = "../a"\n}\n',
        "loop/main.tf": 'module "me" {\n  source = "./"\n}\n',
    })
    result = load(tmp_path)
    resources = by_address(result)
    assert resources["module.a.aws_s3_bucket.a"].attrs["bucket"] == "a"
    messages = [e.message for e in result.errors if e.kind == "error"]
    assert any("module a" in m and "cycle" in m for m in messages)
    assert any("module me" in m and "cycle" in m for m in messages)


def test_missing_local_module_folder_is_reported(tmp_path: Path) -> None:
    result = load(tmp_path, {"main.tf": 'module "gone" {\n  source = "./modules/gone"\n}\n'})
    assert any("module gone" in e.message and e.kind == "error" for e in result.errors)


def test_files_beside_the_configuration_are_read_when_the_gate_runs_elsewhere(tmp_path: Path,
                                                                               monkeypatch) -> None:
    from iacgate.scan import ScanOptions, scan

    infra = tmp_path / "infra"
    infra.mkdir()
    (infra / "main.tf").write_text('''
resource "aws_s3_bucket" "b" {
  bucket = "fileroot-demo"
}
resource "aws_s3_bucket_policy" "b" {
  bucket = aws_s3_bucket.b.id
  policy = file("${path.module}/policy.json")
}
''')
    (infra / "policy.json").write_text(json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::fileroot-demo/*"}]}))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    report = scan([str(infra)], ScanOptions())
    assert ("IG-S3-002", "fail") in {(f.rule_id, f.status) for f in report.findings}
