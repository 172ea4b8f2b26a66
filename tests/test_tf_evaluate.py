"""Evaluating Terraform: variables, locals, functions, references, refs, instances, policies, cycles."""
from __future__ import annotations

import base64
import json
from pathlib import Path

from iacgate.values import Unknown, Unresolved
from test_tf_support import by_address, load, write_tree


def test_variable_precedence(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "stack/variables.tf": '''\
            variable "a" { default = "default" }
            variable "b" { default = "default" }
            variable "c" { default = "default" }
            variable "d" { default = "default" }
            variable "e" { default = "default" }
            variable "f" { type = number }
            variable "unset" {}
            ''',
        "stack/main.tf": '''\
            locals {
              all = [var.a, var.b, var.c, var.d, var.e]
            }
            resource "aws_s3_bucket" "b" {
              bucket = "bucket-${var.f * 2}"
            }
            output "unset" { value = var.unset }
            ''',
        "stack/terraform.tfvars": 'a = "tfvars"\nb = "tfvars"\nc = "tfvars"\nd = "tfvars"\n',
        "stack/b.auto.tfvars": 'b = "auto-b"\nc = "auto-b"\n',
        "stack/a.auto.tfvars.json": '{"b": "auto-a", "c": "auto-a", "d": "auto-a"}',
        "extra.tfvars": 'c = "var-file"\n',
    })
    result = load(tmp_path / "stack", var_files=[str(tmp_path / "extra.tfvars")], vars={"e": "cli", "f": "21"})
    resources = by_address(result)
    assert resources["local.all"].attrs["value"] == ["tfvars", "auto-b", "var-file", "auto-a", "cli"]
    assert resources["aws_s3_bucket.b"].attrs["bucket"] == "bucket-42"
    assert resources["output.unset"].attrs["value"] == Unresolved("var.unset", "variable unset has no value")
    tfvars = [r for r in result.resources if r.mode == "tfvars" and r.name == "a"]
    assert len(tfvars) == 1 and tfvars[0].file.endswith("terraform.tfvars")
    assert (tfvars[0].line, tfvars[0].end_line) == (1, 1) and tfvars[0].attrs == {"value": "tfvars"}
    variable = resources["var.unset"]
    assert variable.mode == "variable" and variable.attrs == {"default": None, "sensitive": False}


def test_cli_var_parses_lists_and_maps(tmp_path: Path) -> None:
    result = load(tmp_path, {"main.tf": '''\
        variable "cidrs" {}
        variable "tags" {}
        locals {
          first = var.cidrs[0]
          team  = var.tags.team
        }
        '''}, vars={"cidrs": '["10.0.0.0/8", "192.168.0.0/16"]', "tags": '{team = "data"}'})
    resources = by_address(result)
    assert resources["local.first"].attrs["value"] == "10.0.0.0/8"
    assert resources["local.team"].attrs["value"] == "data"


def test_locals_in_any_order_and_functions_used_in_practice(tmp_path: Path) -> None:
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "init.sh").write_text("#!/bin/bash\necho ${greeting}\n")
    result = load(tmp_path, {"main.tf": '''\
        locals {
          tags      = merge(local.base_tags, { Name = "${local.prefix}-data" })
          base_tags = { Team = "data", Env = upper(var.env) }
          prefix    = lower(format("%s-%s", "Acme", var.env))
          subnets   = [for i in range(3) : cidrsubnet("10.0.0.0/16", 8, i)]
          by_name   = { for s in ["a", "b"] : s => length(s) }
          joined    = join(",", compact(["a", "", "b"]))
          parts     = split("/", "a/b/c")
          looked    = lookup({ a = 1 }, "b", 2)
          tried     = try(local.base_tags.Missing, "fallback")
          can_read  = can(local.base_tags.Missing)
          decoded   = jsondecode("{\\"k\\": [1, 2]}").k
          encoded   = base64encode("hello")
          digest    = sha256("x")
          script    = templatefile("${path.module}/scripts/init.sh", { greeting = "hi" })
          raw_file  = file("${path.module}/scripts/init.sh")
          missing   = file("${path.module}/scripts/none.sh")
          zipped    = zipmap(["a", "b"], [1, 2])
          flat      = flatten([["a"], ["b", ["c"]]])
          conditional = var.env == "prod" ? "strict" : "relaxed"
          splatted  = [{ id = 1 }, { id = 2 }][*].id
          when      = timestamp()
          unknown_fn = provider::aws::arn_parse("arn:aws:s3:::x")
          directive = "%{ for s in ["a", "b"] }${s};%{ endfor }%{ if var.env == "dev" }dev%{ else }other%{ endif }"
          workspace = terraform.workspace
        }
        variable "env" { default = "dev" }
        '''}, scan_root=str(tmp_path))
    values = {r.name: r.attrs["value"] for r in result.resources if r.mode == "local"}
    assert values["tags"] == {"Team": "data", "Env": "DEV", "Name": "acme-dev-data"}
    assert values["subnets"] == ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"]
    assert values["by_name"] == {"a": 1, "b": 1}
    assert values["joined"] == "a,b"
    assert values["parts"] == ["a", "b", "c"]
    assert values["looked"] == 2
    assert values["tried"] == "fallback"
    assert values["can_read"] is False
    assert values["decoded"] == [1, 2]
    assert base64.b64decode(values["encoded"]) == b"hello"
    assert values["digest"] == "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"
    assert values["script"] == "#!/bin/bash\necho hi\n"
    assert values["raw_file"] == "#!/bin/bash\necho ${greeting}\n"
    assert isinstance(values["missing"], Unresolved) and "not found" in values["missing"].reason
    assert values["zipped"] == {"a": 1, "b": 2}
    assert values["flat"] == ["a", "b", "c"]
    assert values["conditional"] == "relaxed"
    assert values["splatted"] == [1, 2]
    assert isinstance(values["when"], Unknown)
    assert isinstance(values["unknown_fn"], Unresolved)
    assert values["directive"] == "a;b;dev"
    assert values["workspace"] == "default"


def test_file_reads_stay_below_the_scan_root(tmp_path: Path) -> None:
    secret = tmp_path / "outside.txt"
    secret.write_text("do not read")
    (tmp_path / "repo").mkdir()
    result = load(tmp_path / "repo", {"main.tf": 'locals { x = file("../outside.txt") }\n'},
                  scan_root=str(tmp_path / "repo"))
    value = by_address(result)["local.x"].attrs["value"]
    assert isinstance(value, Unresolved) and "outside the scanned folder" in value.reason


def test_references_to_resources_and_computed_ids(tmp_path: Path) -> None:
    result = load(tmp_path, {"main.tf": '''\
        resource "aws_s3_bucket" "named" {
          bucket = "acme-logs"
        }
        resource "aws_s3_bucket" "prefixed" {
          bucket_prefix = "acme-"
        }
        resource "aws_kms_key" "k" {
          description = "data key"
        }
        data "aws_s3_bucket" "existing" {
          bucket = "acme-existing"
        }
        data "aws_caller_identity" "current" {}
        resource "aws_s3_bucket_policy" "named" {
          bucket = aws_s3_bucket.named.id
          policy = jsonencode({ Statement = [{ Resource = "${aws_s3_bucket.named.arn}/*" }] })
        }
        locals {
          prefixed_arn = aws_s3_bucket.prefixed.arn
          key_arn      = aws_kms_key.k.arn
          key_desc     = aws_kms_key.k.description
          existing_arn = data.aws_s3_bucket.existing.arn
          account      = data.aws_caller_identity.current.account_id
        }
        '''})
    resources = by_address(result)
    policy = resources["aws_s3_bucket_policy.named"]
    assert policy.attrs["bucket"] == "acme-logs"
    assert json.loads(policy.attrs["policy"]) == {"Statement": [{"Resource": "arn:aws:s3:::acme-logs/*"}]}
    assert policy.refs == {"bucket": ["aws_s3_bucket.named"], "policy": ["aws_s3_bucket.named"]}
    values = {r.name: r.attrs["value"] for r in result.resources if r.mode == "local"}
    assert values["prefixed_arn"] == Unknown("aws_s3_bucket.prefixed.arn is known only after apply")
    assert values["key_arn"] == Unknown("aws_kms_key.k.arn is known only after apply")
    assert values["key_desc"] == "data key"
    assert isinstance(values["existing_arn"], Unknown) and "data.aws_s3_bucket.existing" in values["existing_arn"].reason
    assert isinstance(values["account"], Unknown)
    assert resources["local.prefixed_arn"].refs == {"value": ["aws_s3_bucket.prefixed"]}


def test_count_and_for_each_instances_and_index_linking(tmp_path: Path) -> None:
    result = load(tmp_path, {"main.tf": '''\
        variable "names" { default = ["raw", "curated"] }
        variable "enabled" { default = false }
        resource "aws_s3_bucket" "c" {
          count  = length(var.names)
          bucket = "acme-${var.names[count.index]}"
        }
        resource "aws_s3_bucket_public_access_block" "c" {
          count  = 2
          bucket = aws_s3_bucket.c[count.index].id
        }
        resource "aws_s3_bucket" "f" {
          for_each = toset(var.names)
          bucket   = "acme-f-${each.key}"
        }
        resource "aws_s3_bucket_acl" "f" {
          for_each = aws_s3_bucket.f
          bucket   = each.value.id
          acl      = "private"
        }
        resource "aws_s3_bucket_versioning" "f" {
          bucket = aws_s3_bucket.f["raw"].id
          versioning_configuration { status = "Enabled" }
        }
        resource "aws_s3_bucket" "off" {
          count  = var.enabled ? 1 : 0
          bucket = "never"
        }
        resource "aws_s3_bucket" "unknown" {
          count  = length(aws_kms_key.k.arn)
          bucket = "acme-u-${count.index}"
        }
        resource "aws_kms_key" "k" {}
        output "all" { value = aws_s3_bucket.c[*].bucket }
        '''})
    resources = by_address(result)
    assert resources["aws_s3_bucket.c[1]"].attrs["bucket"] == "acme-curated"
    assert resources["aws_s3_bucket.c[1]"].index == 1
    assert resources["aws_s3_bucket_public_access_block.c[1]"].attrs["bucket"] == "acme-curated"
    assert resources["aws_s3_bucket_public_access_block.c[1]"].refs == {"bucket": ["aws_s3_bucket.c[1]"]}
    assert resources['aws_s3_bucket.f["raw"]'].attrs["bucket"] == "acme-f-raw"
    assert resources['aws_s3_bucket.f["raw"]'].index == "raw"
    acl = resources['aws_s3_bucket_acl.f["curated"]']
    assert acl.attrs["bucket"] == "acme-f-curated"
    assert acl.refs["bucket"] == ['aws_s3_bucket.f["curated"]']
    assert resources["aws_s3_bucket_versioning.f"].refs["bucket"] == ['aws_s3_bucket.f["raw"]']
    assert not any(a.startswith("aws_s3_bucket.off") for a in resources)
    unknown = resources["aws_s3_bucket.unknown[*]"]
    assert isinstance(unknown.index, Unknown) and isinstance(unknown.attrs["bucket"], Unknown)
    assert resources["output.all"].attrs["value"] == ["acme-raw", "acme-curated"]
    assert resources["output.all"].refs["value"] == ["aws_s3_bucket.c[0]", "aws_s3_bucket.c[1]"]


def test_nested_blocks_dynamic_blocks_and_nested_refs(tmp_path: Path) -> None:
    result = load(tmp_path, {"main.tf": '''\
        resource "aws_launch_template" "lt" {
          name_prefix = "web-"
          metadata_options {
            http_tokens   = "required"
            http_endpoint = "enabled"
          }
          dynamic "tag_specifications" {
            for_each = ["instance", "volume"]
            iterator = spec
            content {
              resource_type = spec.value
              tags          = { Index = spec.key }
            }
          }
          dynamic "block_device_mappings" {
            for_each = aws_kms_key.k.arn
            content { device_name = "/dev/sda1" }
          }
        }
        resource "aws_kms_key" "k" {}
        resource "aws_autoscaling_group" "asg" {
          max_size = 2
          min_size = 1
          launch_template {
            id      = aws_launch_template.lt.id
            version = "$Latest"
          }
          provisioner "local-exec" {
            command = "echo hi"
          }
        }
        '''})
    resources = by_address(result)
    lt = resources["aws_launch_template.lt"].attrs
    assert lt["metadata_options"] == [{"http_tokens": "required", "http_endpoint": "enabled"}]
    assert lt["tag_specifications"] == [{"resource_type": "instance", "tags": {"Index": 0}},
                                        {"resource_type": "volume", "tags": {"Index": 1}}]
    assert len(lt["block_device_mappings"]) == 1 and isinstance(lt["block_device_mappings"][0], Unresolved)
    asg = resources["aws_autoscaling_group.asg"]
    assert isinstance(asg.attrs["launch_template"][0]["id"], Unknown)
    assert asg.refs == {"launch_template.id": ["aws_launch_template.lt"]}
    assert asg.attrs["provisioner"] == [{"local-exec": {"command": "echo hi"}}]


def test_providers_outputs_and_sensitivity(tmp_path: Path) -> None:
    result = load(tmp_path, {"main.tf": '''\
        provider "aws" {
          region     = "us-east-1"
          access_key = "AKIAIOSFODNN7EXAMPLE"
          secret_key = var.secret
          assume_role {
            role_arn = "arn:aws:iam::123456789012:role/deploy"
          }
        }
        provider "aws" {
          alias  = "west"
          region = "us-west-2"
        }
        variable "secret" {
          default   = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
          sensitive = true
        }
        resource "aws_iam_access_key" "ci" { user = "ci" }
        output "secret" {
          value     = aws_iam_access_key.ci.secret
          sensitive = false
        }
        '''})
    resources = by_address(result)
    aws = resources["provider.aws"]
    assert aws.mode == "provider" and aws.type == "aws"
    assert aws.attrs["secret_key"] == "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    assert aws.attrs["assume_role"] == [{"role_arn": "arn:aws:iam::123456789012:role/deploy"}]
    assert resources["provider.aws.west"].attrs == {"alias": "west", "region": "us-west-2"}
    assert resources["var.secret"].attrs["sensitive"] is True
    output = resources["output.secret"]
    assert output.mode == "output" and output.attrs["sensitive"] is False
    assert output.refs == {"value": ["aws_iam_access_key.ci"]}


def test_policy_document_rendering(tmp_path: Path) -> None:
    result = load(tmp_path, {"main.tf": '''\
        data "aws_iam_policy_document" "base" {
          statement {
            sid       = "ReadOnly"
            actions   = ["s3:GetObject"]
            resources = ["arn:aws:s3:::acme/*"]
            principals {
              type        = "AWS"
              identifiers = ["arn:aws:iam::111122223333:root"]
            }
          }
          statement {
            sid       = "Keep"
            effect    = "Deny"
            actions   = ["s3:DeleteBucket"]
            resources = ["arn:aws:s3:::acme"]
            principals {
              type        = "AWS"
              identifiers = ["*"]
            }
          }
        }
        data "aws_iam_policy_document" "public" {
          source_policy_documents   = [data.aws_iam_policy_document.base.json]
          override_policy_documents = [jsonencode({ Statement = [{ Sid = "Keep", Effect = "Allow", Action = "s3:ListBucket", Resource = "*", Principal = "*" }] })]
          policy_id = "pub"
          statement {
            sid       = "ReadOnly"
            actions   = ["s3:GetObject", "s3:GetObjectVersion"]
            resources = ["arn:aws:s3:::acme/&{aws:username}/*"]
            principals {
              type        = "*"
              identifiers = ["*"]
            }
            condition {
              test     = "IpAddress"
              variable = "aws:SourceIp"
              values   = ["203.0.113.0/24"]
            }
            condition {
              test     = "IpAddress"
              variable = "aws:VpcSourceIp"
              values   = ["10.0.0.0/8", "10.1.0.0/16"]
            }
            condition {
              test     = "Bool"
              variable = "aws:SecureTransport"
              values   = ["true"]
            }
          }
        }
        data "aws_iam_policy_document" "opaque" {
          statement {
            actions   = ["s3:*"]
            resources = [aws_s3_bucket.b.arn]
            principals {
              type        = "AWS"
              identifiers = ["*"]
            }
          }
        }
        resource "aws_s3_bucket" "b" { bucket_prefix = "x" }
        resource "aws_s3_bucket_policy" "p" {
          bucket = "acme"
          policy = data.aws_iam_policy_document.public.json
        }
        locals { minified = data.aws_iam_policy_document.base.minified_json }
        '''})
    resources = by_address(result)
    base = json.loads(resources["data.aws_iam_policy_document.base"].attrs["json"])
    assert base["Version"] == "2012-10-17"
    assert base["Statement"][0] == {"Sid": "ReadOnly", "Effect": "Allow", "Action": "s3:GetObject",
                                    "Resource": "arn:aws:s3:::acme/*",
                                    "Principal": {"AWS": "arn:aws:iam::111122223333:root"}}
    assert base["Statement"][1]["Principal"] == {"AWS": "*"}
    public = json.loads(resources["aws_s3_bucket_policy.p"].attrs["policy"])
    assert public["Id"] == "pub"
    by_sid = {s["Sid"]: s for s in public["Statement"]}
    assert len(public["Statement"]) == 2
    read = by_sid["ReadOnly"]  # the document's own statement replaces the source's
    assert read["Principal"] == "*"
    assert read["Action"] == ["s3:GetObject", "s3:GetObjectVersion"]
    assert read["Resource"] == "arn:aws:s3:::acme/${aws:username}/*"
    assert read["Condition"] == {"IpAddress": {"aws:SourceIp": "203.0.113.0/24",
                                               "aws:VpcSourceIp": ["10.0.0.0/8", "10.1.0.0/16"]},
                                 "Bool": {"aws:SecureTransport": "true"}}
    assert by_sid["Keep"] == {"Sid": "Keep", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*",
                              "Principal": "*"}  # replaced by the override
    assert resources["aws_s3_bucket_policy.p"].refs["policy"] == ["data.aws_iam_policy_document.public"]
    assert json.loads(resources["local.minified"].attrs["value"]) == base
    assert "\n" not in resources["local.minified"].attrs["value"]
    opaque = resources["data.aws_iam_policy_document.opaque"].attrs["json"]
    assert isinstance(opaque, dict)
    assert opaque["Statement"][0]["Principal"] == {"AWS": "*"}
    assert isinstance(opaque["Statement"][0]["Resource"], Unknown)


def test_jsonencode_policy_with_quoted_condition_keys(tmp_path: Path) -> None:
    result = load(tmp_path, {"main.tf": '''\
        variable "office_cidrs" { default = ["198.51.100.0/24"] }
        resource "aws_s3_bucket_policy" "known" {
          bucket = "acme"
          policy = jsonencode({
            Version = "2012-10-17"
            Statement = [{
              Sid       = "OfficeOnly"
              Effect    = "Allow"
              Principal = "*"
              Action    = ["s3:GetObject"]
              Resource  = "arn:aws:s3:::acme/*"
              Condition = {
                IpAddress = { "aws:SourceIp" = var.office_cidrs }
              }
            }]
          })
        }
        resource "aws_s3_bucket_policy" "partly_known" {
          bucket = "acme"
          policy = jsonencode({
            Statement = [{ Effect = "Allow", Principal = "*", Action = "s3:*",
                           Condition = { IpAddress = { "aws:SourceIp" = var.not_set } } }]
          })
        }
        variable "not_set" {}
        '''})
    resources = by_address(result)
    text = resources["aws_s3_bucket_policy.known"].attrs["policy"]
    assert isinstance(text, str) and " " not in text.replace("OfficeOnly", "")
    statement = json.loads(text)["Statement"][0]
    assert statement["Condition"] == {"IpAddress": {"aws:SourceIp": ["198.51.100.0/24"]}}
    partial = resources["aws_s3_bucket_policy.partly_known"].attrs["policy"]
    assert isinstance(partial, dict)
    assert partial["Statement"][0]["Principal"] == "*"
    leaf = partial["Statement"][0]["Condition"]["IpAddress"]["aws:SourceIp"]
    assert leaf == Unresolved("var.not_set", "variable not_set has no value")


def test_unknown_conditions_keep_both_alternatives(tmp_path: Path) -> None:
    result = load(tmp_path, {"main.tf": '''\
        variable "public" {}
        resource "aws_s3_bucket_acl" "a" {
          bucket = "acme"
          acl    = var.public ? "public-read" : "private"
        }
        '''})
    acl = by_address(result)["aws_s3_bucket_acl.a"].attrs["acl"]
    assert isinstance(acl, Unresolved) and acl.alternatives == ("public-read", "private")


def test_local_cycles_are_reported_not_recursed(tmp_path: Path) -> None:
    result = load(tmp_path, {"main.tf": '''\
        locals {
          a = "${local.b}-x"
          b = local.c
          c = local.a
          self_ref = local.self_ref
          fine = "ok"
        }
        resource "aws_s3_bucket" "b" {
          bucket = local.a
        }
        resource "aws_s3_bucket" "x" { bucket = aws_s3_bucket.y.bucket }
        resource "aws_s3_bucket" "y" { bucket = aws_s3_bucket.x.bucket }
        '''})
    resources = by_address(result)
    assert isinstance(resources["local.a"].attrs["value"], Unresolved)
    assert isinstance(resources["aws_s3_bucket.b"].attrs["bucket"], Unresolved)
    assert isinstance(resources["aws_s3_bucket.x"].attrs["bucket"], Unresolved)
    assert resources["local.fine"].attrs["value"] == "ok"
    cycles = [e.message for e in result.errors if "cycle" in e.message]
    assert any("local.a" in m and "local.b" in m and "local.c" in m for m in cycles)
    assert any("local.self_ref" in m for m in cycles)
    assert any("aws_s3_bucket.x" in m and "aws_s3_bucket.y" in m for m in cycles)


def test_long_reference_chain_does_not_crash(tmp_path: Path) -> None:
    chain = "\n".join(f"  l{i} = local.l{i + 1}" for i in range(400))
    result = load(tmp_path, {"main.tf": "locals {\n" + chain + '\n  l400 = "end"\n}\n'})
    resources = by_address(result)
    assert resources["local.l399"].attrs["value"] == "end"
    assert resources["local.l350"].attrs["value"] == "end"
    first = resources["local.l0"].attrs["value"]
    assert isinstance(first, Unresolved) and "too deep" in first.reason


def test_refs_ignore_for_expression_variables_and_cover_whole_resources(tmp_path: Path) -> None:
    result = load(tmp_path, {"main.tf": '''\
        resource "aws_s3_bucket" "m" {
          for_each = { logs = "private", www = "public-read" }
          bucket   = "acme-${each.key}"
        }
        locals {
          ids  = [for b in aws_s3_bucket.m : b.id]
          arns = "%{ for b in values(aws_s3_bucket.m) }${b.arn} %{ endfor }"
        }
        '''})
    resources = by_address(result)
    expected = ['aws_s3_bucket.m["logs"]', 'aws_s3_bucket.m["www"]']
    assert resources["local.ids"].attrs["value"] == ["acme-logs", "acme-www"]
    assert resources["local.ids"].refs == {"value": expected}
    assert resources["local.arns"].attrs["value"] == "arn:aws:s3:::acme-logs arn:aws:s3:::acme-www "
    assert resources["local.arns"].refs == {"value": expected}
