"""Links and markers that EC2 builders of every input format share: which entity an attribute
names (by reference, by the address an unknown value mentions, or by literal name), which security
groups a launch site names, and whether user data shows a container host."""
from __future__ import annotations

import re
from typing import Any, Iterable

from ..model import LaunchTemplateRef, SecurityGroup
from ..raw import RawResource
from ..values import Unknown, Unresolved, Value, is_opaque, iter_strings
from .common import _MISSING, Linker, attr_value, lookup, source_of, strip_index


_CONTAINER_MARKERS = re.compile(
    r"ECS_CLUSTER|/etc/ecs/ecs\.config|/etc/eks/bootstrap\.sh|\bnodeadm\b|node\.eks\.aws|"
    r"amazon-eks-node|ecs-optimized", re.IGNORECASE)


def container_markers_in(tree: Any) -> bool:
    """True when user data (or an AMI filter) shows the host joins an ECS cluster or EKS."""
    texts = [text for _, text in iter_strings(tree)]
    texts += [leaf.expr for leaf in _opaque_leaves(tree) if isinstance(leaf, Unresolved)]
    for text in texts:
        if _CONTAINER_MARKERS.search(text) or _CONTAINER_MARKERS.search(_maybe_base64(text)):
            return True
    return False


def _maybe_base64(text: str) -> str:
    import base64
    import binascii

    compact = text.strip()
    if len(compact) < 16 or not re.fullmatch(r"[A-Za-z0-9+/=\s]+", compact):
        return ""
    try:
        return base64.b64decode(compact, validate=False).decode("utf-8", errors="ignore")
    except (binascii.Error, ValueError):
        return ""


def _opaque_leaves(tree: Any) -> list[Any]:
    if is_opaque(tree):
        return [tree]
    if isinstance(tree, dict):
        return [leaf for v in tree.values() for leaf in _opaque_leaves(v)]
    if isinstance(tree, (list, tuple)):
        return [leaf for v in tree for leaf in _opaque_leaves(v)]
    return []


def opaque_mentions(value: Value, entities: Iterable[Any]) -> list[Any]:
    """The entities whose address an opaque value's expression names (``aws_iam_role.web.arn``,
    ``!GetAtt WebRole.Arn``)."""
    text = value.reason or ""
    found = []
    for entity in entities:
        address = re.escape(strip_index(entity.address))
        if re.search(rf"(?<![\w.-]){address}(?![\w-])", text) and entity not in found:
            found.append(entity)
    return found


def refs_under(raw: RawResource, prefix: str) -> list[str]:
    """Every address referred to by an attribute at or below ``prefix``."""
    out: list[str] = []
    for key, refs in raw.refs.items():
        if key == prefix or key.startswith(prefix + ".") or key.startswith(prefix + "["):
            out.extend(r for r in refs if r not in out)
    return out


def link_entity(raw: RawResource, path: str, target: Value, candidates: list[Any],
                linker: Linker[Any], name_from_target: Any = None) -> Any:
    """The entity an attribute names: by the addresses referred to at or below ``path``, then by
    the address its unknown value mentions, then by a literal name."""
    for ref in refs_under(raw, path):
        hit = linker.by_address(ref)
        if hit is None:
            base = strip_index(re.sub(r"\.[a-z_]+$", "", ref)) if ref.count(".") > 1 else strip_index(ref)
            twins = [c for c in candidates if strip_index(c.address) in (base, strip_index(ref))]
            hit = twins[0] if len(twins) == 1 else None
        if hit is not None:
            return hit
    if target.opaque:
        mentioned = opaque_mentions(target, candidates)
        if len(mentioned) == 1:
            return mentioned[0]
    if target.known and isinstance(target.value, str):
        return linker.link(raw, "\x00", target, name_from_target)
    return None


def link_security_groups(raw: RawResource, values: list[Value], groups: list[SecurityGroup],
                         linker: Linker[SecurityGroup], attributes: Iterable[str] = (
                             "vpc_security_group_ids", "security_groups", "security_group_names",
                             "network_interfaces")) -> list[SecurityGroup]:
    """The security groups a launch site or template names, by reference or by literal name."""
    found: list[SecurityGroup] = []

    def add(group: SecurityGroup | None) -> None:
        if group is not None and group not in found:
            found.append(group)

    for value in values:
        if value.opaque:
            for group in opaque_mentions(value, groups):
                add(group)
        elif value.known and isinstance(value.value, str):
            add(linker.link(raw, "__none__", value))
    for attribute in attributes:
        for ref in refs_under(raw, attribute):
            add(linker.by_address(ref) or next(
                (g for g in groups if strip_index(g.address) == strip_index(re.sub(r"\.(id|name|group_id)$", "", ref))),
                None))
    return found


def template_ref(raw: RawResource, prefix: str, id_key: str, name_key: str,
                 version_key: str = "version") -> LaunchTemplateRef | None:
    """The launch template a block at ``prefix`` names (by id, else by name) with its version."""
    block = lookup(raw.attrs, prefix)
    if block is _MISSING or block is None or block == []:
        return None
    if raw.source_kind == "plan" and isinstance(block, Unknown):
        return None  # a computed block the configuration does not write
    ident = attr_value(raw, f"{prefix}.{id_key}")
    if ident.absent:
        ident = attr_value(raw, f"{prefix}.{name_key}")
    if ident.absent and is_opaque(block):
        ident = attr_value(raw, prefix)
    return LaunchTemplateRef(source_of(raw, prefix), ident, attr_value(raw, f"{prefix}.{version_key}"))
