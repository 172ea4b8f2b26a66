"""Model step: raw resources -> the provider-neutral model, one stack at a time.

A stack is what deploys together (a Terraform root module with its children, one plan, one
template); links between resources (a policy to its bucket) never cross stacks.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from .model import Model
from .raw import RawResource

Builder = Callable[[list[RawResource]], Model]


def builders(source_kind: str) -> list[Builder]:
    """The model builders of a source kind (their adapters imported on first call)."""
    if source_kind in ("terraform", "plan"):
        from .adapters.terraform import aws_s3 as tf_s3

        builders: list[Builder] = [tf_s3.build_s3]
        try:
            from .adapters.terraform import aws_ec2 as tf_ec2
        except ImportError:
            return builders
        return builders + [tf_ec2.build_ec2]
    if source_kind == "cloudformation":
        from .adapters.cloudformation import aws_s3 as cfn_s3

        builders = [cfn_s3.build_s3]
        try:
            from .adapters.cloudformation import aws_ec2 as cfn_ec2
        except ImportError:
            return builders
        return builders + [cfn_ec2.build_ec2]
    return []


def by_stack(resources: list[RawResource]) -> list[list[RawResource]]:
    """The resources of each stack, in the order the stacks first appear."""
    stacks: dict[tuple[str, str], list[RawResource]] = defaultdict(list)
    for resource in resources:
        stacks[(resource.source_kind, resource.stack or resource.file)].append(resource)
    return list(stacks.values())


def build_model(resources: list[RawResource]) -> Model:
    model = Model(raw=list(resources))
    for members in by_stack(resources):
        source_kind = members[0].source_kind
        if source_kind in ("terraform", "plan"):
            from .adapters.terraform.s3_bucket_module import expand_module_calls

            members, problems = expand_module_calls(members)
            model.errors.extend(problems)
        for build in builders(source_kind):
            part = build(members)
            part.raw = []
            model.merge(part)
    return model
