"""What the evaluator computes once (per declaration, per module instance) is keyed by everything it
depends on: the instance key of a resource, the module instance, the depth of the reference chain."""
from __future__ import annotations

from pathlib import Path

from iacgate.values import Unresolved
from test_tf_support import by_address, load


def test_each_counted_instance_keeps_its_own_values_and_references(tmp_path: Path) -> None:
    result = load(tmp_path, {"main.tf": '''\
        resource "aws_s3_bucket" "logs" {
          count  = 3
          bucket = "logs-${count.index}"
          acl    = "private"
        }

        resource "aws_s3_bucket_public_access_block" "logs" {
          count                   = 3
          bucket                  = aws_s3_bucket.logs[count.index].id
          block_public_acls       = true
          restrict_public_buckets = count.index == 1
        }

        resource "aws_s3_bucket_policy" "logs" {
          count  = 3
          bucket = aws_s3_bucket.logs[2 - count.index].bucket
          policy = "{}"
        }
        '''})
    resources = by_address(result)
    for i in range(3):
        bucket = resources[f"aws_s3_bucket.logs[{i}]"]
        assert bucket.attrs == {"bucket": f"logs-{i}", "acl": "private"}
        block = resources[f"aws_s3_bucket_public_access_block.logs[{i}]"]
        assert block.attrs["block_public_acls"] is True
        assert block.attrs["restrict_public_buckets"] is (i == 1)
        assert block.refs == {"bucket": [f"aws_s3_bucket.logs[{i}]"]}
        policy = resources[f"aws_s3_bucket_policy.logs[{i}]"]
        assert policy.attrs["bucket"] == f"logs-{2 - i}"
        assert policy.refs == {"bucket": [f"aws_s3_bucket.logs[{2 - i}]"]}


def test_module_instances_keep_their_own_output_references(tmp_path: Path) -> None:
    result = load(tmp_path, {
        "main.tf": '''\
            resource "aws_s3_bucket" "data" {
              for_each = toset(["a", "b"])
              bucket   = "data-${each.key}"
            }

            module "guard" {
              for_each  = toset(["a", "b"])
              source    = "./guard"
              bucket_id = aws_s3_bucket.data[each.key].id
            }
            ''',
        "guard/main.tf": '''\
            variable "bucket_id" {}

            resource "aws_s3_bucket_public_access_block" "this" {
              bucket            = var.bucket_id
              block_public_acls = true
            }

            output "guarded" { value = var.bucket_id }
            '''})
    resources = by_address(result)
    for key in ("a", "b"):
        prefix = f'module.guard["{key}"].'
        assert resources[prefix + "aws_s3_bucket_public_access_block.this"].refs == {
            "bucket": [f'aws_s3_bucket.data["{key}"]']}
        assert resources[prefix + "output.guarded"].refs == {"value": [f'aws_s3_bucket.data["{key}"]']}


def test_a_literal_attribute_reached_at_the_depth_limit_is_cut_short_like_any_other_value(tmp_path: Path) -> None:
    # aws_s3_bucket.b.acl -> local.l0 -> ... -> local.l62 -> aws_s3_bucket.b.force_destroy (a literal): the
    # literal is asked for while 64 values are being evaluated, the most the evaluator follows
    chain = "\n".join(f"  l{i} = local.l{i + 1}" for i in range(62))
    result = load(tmp_path, {"main.tf": 'resource "aws_s3_bucket" "b" {\n  acl = local.l0\n  force_destroy = true\n}\n'
                             "locals {\n" + chain + "\n  l62 = aws_s3_bucket.b.force_destroy\n}\n"})
    resources = by_address(result)
    acl = resources["aws_s3_bucket.b"].attrs["acl"]
    assert isinstance(acl, Unresolved) and "too deep" in acl.reason
    assert resources["aws_s3_bucket.b"].attrs["force_destroy"] is True
    assert resources["local.l0"].attrs["value"] is True  # a value cut short is not kept


def test_references_read_inside_a_cycle_are_reported_and_do_not_leak_into_other_values(tmp_path: Path) -> None:
    result = load(tmp_path, {"main.tf": '''\
        resource "aws_s3_bucket" "b" { bucket = "b" }

        locals {
          a = local.b
          b = local.a
          bucket = aws_s3_bucket.b.id
        }

        output "looped" { value = local.a }
        output "bucket" { value = local.bucket }
        '''})
    resources = by_address(result)
    assert isinstance(resources["output.looped"].attrs["value"], Unresolved)
    assert resources["output.bucket"].refs == {"value": ["aws_s3_bucket.b"]}
    assert resources["local.bucket"].refs == {"value": ["aws_s3_bucket.b"]}
    assert any("cycle" in e.message and "local.a" in e.message for e in result.errors)


def test_a_count_that_refers_to_its_own_resource_is_a_reported_cycle(tmp_path: Path) -> None:
    result = load(tmp_path, {"main.tf": '''\
        resource "aws_s3_bucket" "a" {
          count  = length(aws_s3_bucket.a)
          bucket = "data"
        }
        '''})
    resources = by_address(result)
    assert resources["aws_s3_bucket.a[*]"].attrs["bucket"] == "data"
    assert any("reference cycle" in e.message and "aws_s3_bucket.a" in e.message and e.file.endswith("main.tf")
               for e in result.errors)


def test_a_count_cut_short_by_the_depth_limit_is_not_known_there_and_known_at_the_top(tmp_path: Path) -> None:
    chain = "\n".join(f"  l{i} = local.l{i + 1}" for i in range(62))
    result = load(tmp_path, {"main.tf": 'resource "aws_s3_bucket" "start" {\n  bucket = local.l0\n}\n'
                             "locals {\n" + chain + "\n  l62 = aws_s3_bucket.end.bucket\n}\n"
                             'resource "aws_s3_bucket" "end" {\n  bucket = "the-end"\n}\n'})
    resources = by_address(result)
    assert not isinstance(resources["aws_s3_bucket.start"].attrs["bucket"], str)
    assert resources["aws_s3_bucket.end"].attrs["bucket"] == "the-end"
    assert resources["local.l0"].attrs["value"] == "the-end"
