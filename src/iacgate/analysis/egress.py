"""Security group egress: which rules let traffic out to anywhere (0.0.0.0/0 or ::/0).

A verdict is three-valued: a rule whose addresses or protocol the gate cannot see, or that applies
only under a condition the gate cannot decide, gives ``None`` (unknown), never "closed".
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from ..findings import Subject
from ..model import EgressRule, Model, SecurityGroup
from ..values import Source, State, Value, is_opaque, known, unknown

ALL_PROTOCOLS = ("-1", "all")
MAX_PORT = 65535


@dataclass(frozen=True, slots=True)
class RuleVerdict:
    rule: EgressRule
    to_world: bool | None  # None: cannot tell
    all_ports: bool | None
    description: str  # "egress[0] (-1 to 0.0.0.0/0)"
    reason: str = ""  # why it is unknown


@dataclass(slots=True)
class GroupEgress:
    """The egress verdict of one security group (or of a standalone rule whose group is not in
    the configuration)."""

    unrestricted: Value
    all_ports_to_world: Value
    open_rules: list[RuleVerdict] = field(default_factory=list)
    summary: str = ""


def _world(cidr: str) -> bool | None:
    try:
        return ipaddress.ip_network(cidr.strip(), strict=False).prefixlen == 0
    except ValueError:
        return None


def _cidrs_to_world(value: Value) -> tuple[bool | None, str, str]:
    """(opens to the world?, the CIDR that does, why unknown)."""
    if value.absent:
        return False, "", ""
    if value.opaque:
        return None, "", value.reason or "the destination is not known"
    items = value.value if isinstance(value.value, (list, tuple)) else [value.value]
    verdict: bool | None = False
    reason = ""
    for item in items:
        if item is None or item == "":
            continue
        if is_opaque(item):
            verdict, reason = None, getattr(item, "reason", "the destination is not known")
            continue
        world = _world(str(item))
        if world:
            return True, str(item), ""
        if world is None:
            verdict, reason = None, f"{item!r} is not a valid CIDR"
    return verdict, "", reason


def _protocol(value: Value) -> Any:
    if not value.known:
        return None
    return str(value.value).strip().lower()


def _port(value: Value) -> int | None:
    if not value.known:
        return None
    try:
        return int(value.value)
    except (TypeError, ValueError):
        return None


def _all_ports(rule: EgressRule) -> bool | None:
    protocol = _protocol(rule.protocol)
    if protocol in ALL_PROTOCOLS:
        return True
    if rule.protocol.opaque:
        return None
    low, high = _port(rule.from_port), _port(rule.to_port)
    if (rule.from_port.opaque or rule.to_port.opaque) and protocol not in ("icmp", "1", "icmpv6", "58"):
        return None
    return low is not None and high is not None and low <= 0 and high >= MAX_PORT and \
        protocol in ("tcp", "udp", "6", "17")


def _describe(rule: EgressRule, cidr: str) -> str:
    where = rule.source.attribute or rule.address
    protocol = _protocol(rule.protocol)
    if rule.implicit:
        return f"{rule.address}: no egress rule declared, so AWS's default rule allows all traffic to {cidr}"
    if protocol in ALL_PROTOCOLS:
        what = "all traffic"
    else:
        low, high = _port(rule.from_port), _port(rule.to_port)
        ports = "" if low is None else (f" port {low}" if low == high else f" ports {low}-{high}")
        what = f"{protocol or 'traffic'}{ports}"
    prefix = f"{rule.address} {where}" if where != rule.address else rule.address
    return f"{prefix} allows {what} to {cidr}"


def judge_rule(rule: EgressRule) -> RuleVerdict:
    v4, cidr4, why4 = _cidrs_to_world(rule.cidr_ipv4)
    v6, cidr6, why6 = _cidrs_to_world(rule.cidr_ipv6)
    if v4 or v6:
        world: bool | None = True
    elif v4 is None or v6 is None:
        world = None
    else:
        world = False
    reason = why4 or why6
    if world and rule.condition.opaque:
        world, reason = None, f"applies only if {rule.condition.reason}"
    all_ports = _all_ports(rule)
    return RuleVerdict(rule, world, all_ports, _describe(rule, cidr4 or cidr6 or "anywhere"), reason)


def _sources(verdicts: list[RuleVerdict]) -> tuple[Source, ...]:
    out: list[Source] = []
    for verdict in verdicts:
        rule = verdict.rule
        for value in (rule.cidr_ipv4, rule.cidr_ipv6, rule.protocol):
            for source in value.sources:
                if source not in out:
                    out.append(source)
        if not any(s.address == rule.address for s in out):
            out.append(rule.source)
    return tuple(out)


def _combine(verdicts: list[RuleVerdict], tests: tuple[str, ...], fallback: Source) -> Value:
    """True when a rule passes every test, unknown when one might, else False."""
    hits = [v for v in verdicts if all(getattr(v, t) is True for t in tests)]
    if hits:
        return known(True, *_sources(hits))
    doubtful = [v for v in verdicts if not any(getattr(v, t) is False for t in tests)]
    if doubtful:
        reasons = "; ".join(dict.fromkeys(v.reason or f"{v.description}: not fully known" for v in doubtful))
        return unknown(reasons, *_sources(doubtful))
    return known(False, fallback)


def group_egress(rules: list[EgressRule], fallback: Source) -> GroupEgress:
    verdicts = [judge_rule(rule) for rule in rules if not rule.deleted]
    unrestricted = _combine(verdicts, ("to_world",), fallback)
    all_ports = _combine(verdicts, ("to_world", "all_ports"), fallback)
    open_rules = [v for v in verdicts if v.to_world]
    if open_rules:
        summary = "; ".join(v.description for v in open_rules)
    elif unrestricted.opaque:
        summary = f"egress cannot be decided: {unrestricted.reason}"
    else:
        summary = "no egress rule reaches 0.0.0.0/0 or ::/0"
    return GroupEgress(unrestricted, all_ports, open_rules, summary)


def security_group_egress(group: SecurityGroup) -> GroupEgress:
    return group_egress(group.egress, group.source)


def egress_facts(result: GroupEgress) -> dict[str, Value]:
    return {"egress.unrestricted": result.unrestricted,
            "egress.all_ports_to_world": result.all_ports_to_world,
            "egress.summary": Value(State.KNOWN, result.summary, None, result.unrestricted.sources)}


def security_group_subjects(model: Model) -> list[Subject]:
    """One subject per security group, and one per standalone egress rule whose group is not in
    the configuration (the rule is all the gate sees of that group)."""
    from ..facts import subject_for

    subjects = []
    for group in model.security_groups:
        if group.deleted:
            continue
        subjects.append(subject_for(group, "ec2_security_group", egress_facts(security_group_egress(group))))
    for rule in model.egress_rules:
        if rule.deleted:
            continue
        subjects.append(subject_for(rule, "ec2_security_group", egress_facts(group_egress([rule], rule.source))))
    return subjects
