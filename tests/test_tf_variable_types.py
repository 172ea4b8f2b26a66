"""Variable type constraints as Terraform applies them: optional() defaults at any depth,
`nullable = false`, primitive conversion; and null tests on partly unknown values."""
from __future__ import annotations

from pathlib import Path

from iacgate.values import Unknown
from test_tf_support import by_address, load

NODE_GROUPS = {
    "main.tf": '''\
        module "workers" {
          source   = "./modules/node_group"
          for_each = var.node_groups
          name     = each.key
          metadata_options = try(each.value.metadata_options, null)
          instance_type    = each.value.instance_type
        }

        variable "node_groups" {
          type = map(object({
            instance_type    = optional(string, "t3.large")
            metadata_options = optional(object({
              http_tokens                 = optional(string, "required")
              http_put_response_hop_limit = optional(number, 1)
            }))
          }))
          default = {
            plain = {}
            legacy = { metadata_options = { http_tokens = "optional" } }
            hops  = { metadata_options = { http_put_response_hop_limit = "2" } }
          }
        }
        ''',
    "modules/node_group/main.tf": '''\
        variable "name" { type = string }
        variable "instance_type" { type = string }
        variable "metadata_options" {
          type = object({
            http_endpoint               = optional(string, "enabled")
            http_tokens                 = optional(string, "required")
            http_put_response_hop_limit = optional(number, 1)
          })
          default  = { http_tokens = "required" }
          nullable = false
        }

        resource "aws_launch_template" "this" {
          name          = var.name
          instance_type = var.instance_type
          dynamic "metadata_options" {
            for_each = [var.metadata_options]
            content {
              http_endpoint               = metadata_options.value.http_endpoint
              http_tokens                 = metadata_options.value.http_tokens
              http_put_response_hop_limit = metadata_options.value.http_put_response_hop_limit
            }
          }
        }
        ''',
}


def _options(result, key: str) -> dict:
    template = by_address(result)[f'module.workers["{key}"].aws_launch_template.this']
    block = template.attrs["metadata_options"]
    return (block[0] if isinstance(block, list) else block), template.attrs["instance_type"]


def test_optional_defaults_fill_what_callers_leave_out(tmp_path: Path) -> None:
    result = load(tmp_path, NODE_GROUPS)
    assert not [e for e in result.errors if e.kind == "error"], result.errors
    # the caller wrote nothing: the outer optional has no default (null), and nullable = false turns
    # null into the module's default, whose missing attributes take the module's optional defaults
    plain, instance_type = _options(result, "plain")
    assert (plain["http_endpoint"], plain["http_tokens"], plain["http_put_response_hop_limit"]) == (
        "enabled", "required", 1)
    assert instance_type == "t3.large"
    legacy, _ = _options(result, "legacy")
    assert (legacy["http_tokens"], legacy["http_put_response_hop_limit"]) == ("optional", 1)
    hops, _ = _options(result, "hops")
    assert (hops["http_tokens"], hops["http_put_response_hop_limit"]) == ("required", 2)  # "2" -> 2


def test_null_test_on_a_partly_unknown_object_is_known(tmp_path: Path) -> None:
    result = load(tmp_path, {"main.tf": '''\
        data "aws_ami" "al2023" {
          most_recent = true
          owners      = ["amazon"]
        }
        locals {
          groups = { web = { ami = data.aws_ami.al2023.id } }
        }
        resource "aws_launch_template" "web" {
          for_each = local.groups != null ? local.groups : {}
          name     = each.key
          image_id = each.value.ami
        }
        '''})
    template = by_address(result)['aws_launch_template.web["web"]']
    assert isinstance(template.attrs["image_id"], Unknown)


def test_unknown_parts_of_a_template_keep_its_shape(tmp_path: Path) -> None:
    result = load(tmp_path, {"main.tf": '''\
        data "aws_partition" "current" {}
        locals {
          prefix = "arn:${data.aws_partition.current.partition}:iam::aws:policy"
        }
        resource "aws_iam_role_policy_attachment" "ssm" {
          role       = "web"
          policy_arn = "${local.prefix}/AmazonSSMManagedInstanceCore"
        }
        '''})
    arn = by_address(result)["aws_iam_role_policy_attachment.ssm"].attrs["policy_arn"]
    assert isinstance(arn, Unknown)
    assert arn.shape == "arn:${data.aws_partition.current.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
