"""A model of the registry module ``terraform-aws-modules/s3-bucket/aws`` for calls whose source was
not downloaded: its inputs become the raw resources the module would declare, so a module call is
analysed like hand-written resources (a downloaded copy, when present, is loaded instead).

The mapping follows the module's own ``main.tf``: the bucket; an ``aws_s3_bucket_acl`` when ``acl``
or ``grant`` is set; an ``aws_s3_bucket_policy`` when ``attach_policy`` or one of the
``attach_*_policy`` flags is true (``policy`` alone is *not* attached); a public access block when
``attach_public_policy`` is true (default), whose four settings default to ``false`` before v4.0.0 and
``true`` from v4.0.0; ownership controls when ``control_object_ownership`` is true (default ownership
``ObjectWriter`` before v4.0.0, ``BucketOwnerEnforced`` after); versioning, encryption, logging and
website resources when their maps are non-empty.
"""
from __future__ import annotations

import json
import re
from typing import Any

from ...raw import InputError, RawResource
from ...values import Unknown, Unresolved, contains_opaque, is_opaque

SOURCE = "terraform-aws-modules/s3-bucket/aws"
_LATEST_MAJOR = 5


def is_s3_bucket_module(raw: RawResource) -> bool:
    source = str(raw.meta.get("source") or "")
    return raw.mode == "module" and source.split("?", 1)[0].rstrip("/").lower() in (
        SOURCE, f"registry.terraform.io/{SOURCE}")


def major_version(constraint: Any) -> int:
    """The major version Terraform would pick for a version constraint: the newest release it allows.
    ``3.7.0`` and ``~> 3.7`` pin major 3; ``~> 3`` (only the rightmost part may grow), ``>= 3`` or no
    constraint allow the newest; an upper bound ``< 4.0`` caps it."""
    if not isinstance(constraint, str) or not constraint.strip():
        return _LATEST_MAJOR
    best = _LATEST_MAJOR
    for part in constraint.split(","):
        match = re.match(r"^\s*(=|!=|>=|<=|>|<|~>)?\s*v?(\d+)((?:\.\d+)*)", part)
        if not match:
            continue
        op, major, rest = match.group(1) or "=", int(match.group(2)), match.group(3)
        if op == "=" or (op == "~>" and rest):
            return major
        if op == "<":
            best = min(best, major if rest.strip(".0") else major - 1)
        elif op == "<=":
            best = min(best, major)
    return best


def _input(inputs: dict[str, Any], name: str, default: Any) -> Any:
    value = inputs.get(name, default)
    return default if value is None else value


def _truthy(value: Any) -> Any:
    if is_opaque(value):
        return value
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _status(versioning: dict[str, Any]) -> Any:
    if "enabled" in versioning:
        enabled = _truthy(versioning["enabled"])
        return enabled if is_opaque(enabled) else ("Enabled" if enabled else "Suspended")
    status = versioning.get("status")
    if is_opaque(status):
        return status
    if isinstance(status, bool) or str(status).lower() in ("true", "false"):
        return "Enabled" if _truthy(status) else "Suspended"
    return str(status).title() if status is not None else Unresolved("versioning", "no enabled/status key")


def _grants(grants: Any) -> Any:
    if is_opaque(grants) or not isinstance(grants, list):
        return grants
    out = []
    for grant in grants:
        if not isinstance(grant, dict):
            return Unresolved("grant", "grant entries must be objects")
        out.append({"permission": grant.get("permission"),
                    "grantee": [{"type": grant.get("type"), "id": grant.get("id"),
                                 "uri": grant.get("uri"), "email_address": grant.get("email")}]})
    return out


def _policy_document(text_or_doc: Any) -> Any:
    if isinstance(text_or_doc, str):
        try:
            return json.loads(text_or_doc)
        except ValueError:
            return Unresolved(text_or_doc[:60], "policy input is not valid JSON")
    return text_or_doc


def _combined_policy(inputs: dict[str, Any], bucket_arn: Any) -> Any:
    statements: list[Any] = []
    if _truthy(_input(inputs, "attach_deny_insecure_transport_policy", False)) is True:
        statements.append({"Sid": "denyInsecureTransport", "Effect": "Deny", "Principal": "*",
                           "Action": "s3:*", "Resource": [bucket_arn, _join(bucket_arn, "/*")],
                           "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
    if _truthy(_input(inputs, "attach_require_latest_tls_policy", False)) is True:
        statements.append({"Sid": "denyOutdatedTLS", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                           "Resource": [bucket_arn, _join(bucket_arn, "/*")],
                           "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}}})
    if _truthy(_input(inputs, "attach_policy", False)) is True:
        doc = _policy_document(inputs.get("policy"))
        if isinstance(doc, dict):
            user = doc.get("Statement", [])
            statements.extend(user if isinstance(user, list) else [user])
        elif doc is not None:
            statements.append(doc)
    return {"Version": "2012-10-17", "Statement": statements}


def _join(arn: Any, suffix: str) -> Any:
    return arn + suffix if isinstance(arn, str) else arn


def expand(call: RawResource) -> tuple[list[RawResource], list[InputError]]:
    """The resources a call of the module declares, addressed as Terraform would address them."""
    inputs = call.attrs
    errors: list[InputError] = []
    if _truthy(_input(inputs, "create_bucket", True)) is False:
        return [], errors
    major = major_version(call.meta.get("version"))
    prefix = call.address

    def resource(rtype: str, attrs: dict[str, Any], refs: dict[str, list[str]] | None = None) -> RawResource:
        return RawResource(address=f"{prefix}.{rtype}.this[0]", type=rtype, name="this",
                           source_kind=call.source_kind, file=call.file, line=call.line,
                           end_line=call.end_line, attrs=attrs, refs=refs or {}, mode="managed",
                           module=prefix, index=0, actions=call.actions, stack=call.stack,
                           meta={"declared_by": call.address, "ignore": call.meta.get("ignore", []),
                                 "module_model": f"{SOURCE} v{major}"})

    bucket_name = inputs.get("bucket")
    bucket_attrs: dict[str, Any] = {}
    if bucket_name is not None:
        bucket_attrs["bucket"] = bucket_name
    elif inputs.get("bucket_prefix") is not None:
        bucket_attrs["bucket_prefix"] = inputs["bucket_prefix"]
    bucket = resource("aws_s3_bucket", bucket_attrs)
    out = [bucket]
    link = {"bucket": [bucket.address]}
    bucket_ref = bucket_name if isinstance(bucket_name, str) else Unknown(f"{bucket.address}.id is known only after apply")
    bucket_arn = f"arn:aws:s3:::{bucket_name}" if isinstance(bucket_name, str) else Unknown(
        f"{bucket.address}.arn is known only after apply")

    acl = inputs.get("acl")
    grants = _grants(_input(inputs, "grant", []))
    if (acl is not None and acl != "null") or (isinstance(grants, list) and grants) or is_opaque(grants):
        attrs: dict[str, Any] = {"bucket": bucket_ref}
        if acl is not None and acl != "null":
            attrs["acl"] = acl
        if is_opaque(grants) or grants:
            attrs["access_control_policy"] = [{"grant": grants}]
        out.append(resource("aws_s3_bucket_acl", attrs, link))

    flags = ("attach_policy", "attach_deny_insecure_transport_policy", "attach_require_latest_tls_policy",
             "attach_elb_log_delivery_policy", "attach_lb_log_delivery_policy",
             "attach_inventory_destination_policy")
    attach = [_truthy(_input(inputs, flag, False)) for flag in flags]
    if any(a is True for a in attach):
        out.append(resource("aws_s3_bucket_policy",
                            {"bucket": bucket_ref, "policy": _combined_policy(inputs, bucket_arn)}, link))
    elif any(is_opaque(a) for a in attach):
        out.append(resource("aws_s3_bucket_policy", {"bucket": bucket_ref, "policy": Unresolved(
            "attach_policy", "whether the module attaches a policy depends on an unresolved input")}, link))
    elif inputs.get("policy") is not None:
        errors.append(InputError(call.file, f"{call.address}: the `policy` input is ignored by {SOURCE} "
                                 "unless attach_policy = true; no bucket policy is attached",
                                 call.line, kind="warning"))

    block_default = major >= 4
    if _truthy(_input(inputs, "attach_public_policy", True)) is not False:
        out.append(resource("aws_s3_bucket_public_access_block", {
            "bucket": bucket_ref,
            **{name: _input(inputs, name, block_default) for name in (
                "block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")},
        }, link))

    if _truthy(_input(inputs, "control_object_ownership", False)) is True:
        ownership = _input(inputs, "object_ownership", "BucketOwnerEnforced" if major >= 4 else "ObjectWriter")
        out.append(resource("aws_s3_bucket_ownership_controls",
                            {"bucket": bucket_ref, "rule": [{"object_ownership": ownership}]}, link))

    versioning = _input(inputs, "versioning", {})
    if isinstance(versioning, dict) and versioning:
        config = {"status": _status(versioning)}
        if "mfa_delete" in versioning:
            mfa = _truthy(versioning["mfa_delete"]) if not isinstance(versioning["mfa_delete"], str) or \
                versioning["mfa_delete"].lower() in ("true", "false") else versioning["mfa_delete"].title() == "Enabled"
            config["mfa_delete"] = mfa if is_opaque(mfa) else ("Enabled" if mfa else "Disabled")
        out.append(resource("aws_s3_bucket_versioning",
                            {"bucket": bucket_ref, "versioning_configuration": [config]}, link))
    elif is_opaque(versioning):
        out.append(resource("aws_s3_bucket_versioning", {"bucket": bucket_ref,
                                                         "versioning_configuration": versioning}, link))

    sse = _input(inputs, "server_side_encryption_configuration", {})
    if isinstance(sse, dict) and sse:
        rule = sse.get("rule", {})
        rule = rule[0] if isinstance(rule, list) and rule else rule
        default = rule.get("apply_server_side_encryption_by_default", {}) if isinstance(rule, dict) else rule
        algorithm = default.get("sse_algorithm") if isinstance(default, dict) else default
        out.append(resource("aws_s3_bucket_server_side_encryption_configuration", {
            "bucket": bucket_ref,
            "rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": algorithm}]}]}, link))

    logging = _input(inputs, "logging", {})
    if isinstance(logging, dict) and logging or is_opaque(logging):
        target = logging.get("target_bucket") if isinstance(logging, dict) else logging
        out.append(resource("aws_s3_bucket_logging", {"bucket": bucket_ref, "target_bucket": target}, link))

    website = _input(inputs, "website", {})
    if isinstance(website, dict) and website and not contains_opaque(website) or is_opaque(website):
        out.append(resource("aws_s3_bucket_website_configuration", {"bucket": bucket_ref}, link))
    return out, errors


def expand_module_calls(resources: list[RawResource]) -> tuple[list[RawResource], list[InputError]]:
    """Replace every not-downloaded call of the module by the resources it declares."""
    out: list[RawResource] = []
    errors: list[InputError] = []
    for raw in resources:
        if is_s3_bucket_module(raw):
            expanded, problems = expand(raw)
            out.extend(expanded)
            errors.extend(problems)
        else:
            out.append(raw)
    return out, errors
