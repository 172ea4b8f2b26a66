"""Effective public exposure of one S3 bucket: ACLs, policies and access points, after the
public access blocks and object-ownership settings the configuration itself declares.

Protection that lives only outside the configuration (AWS's defaults for new buckets, settings made
by hand) does not count: a bucket with no declared block anywhere is treated as having all four
settings off, and the verdict says that nothing was declared. Every verdict is three-valued and
carries the text and the source spans that made it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from ..model import (AccessPoint, AccountPublicAccessBlock, Bucket, BucketAcl, Entity,
                     PolicyAttachment, PublicAccessBlock)
from ..values import Source, State, Value, absent, is_opaque
from .iam_policy import PolicyAnalysis, PolicyOptions, analyse_policy

PUBLIC_KINDS = ("read", "write", "list", "acl_change")

_ALL_USERS = "http://acs.amazonaws.com/groups/global/allusers"
_AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/authenticatedusers"
_PUBLIC_CANNED = {
    "public-read": frozenset({"list"}),
    "public-read-write": frozenset({"list", "write"}),
    "authenticated-read": frozenset({"list"}),
}
_CFN_CANNED = {"private": "private", "publicread": "public-read", "publicreadwrite": "public-read-write",
               "authenticatedread": "authenticated-read", "awsexecread": "aws-exec-read",
               "bucketownerread": "bucket-owner-read", "bucketownerfullcontrol": "bucket-owner-full-control",
               "logdeliverywrite": "log-delivery-write"}
# What an ACL permission on a bucket lets the grantee do.
_ACL_PERMISSION_ACCESS = {
    "READ": frozenset({"list"}),
    "WRITE": frozenset({"write"}),
    "READ_ACP": frozenset(),
    "WRITE_ACP": frozenset({"acl_change"}),
    "FULL_CONTROL": frozenset({"list", "write", "acl_change"}),
}
# ACLs set on one object (Terraform object resources): they expose that object, not the bucket's listing.
_OBJECT_ACL_TYPES = frozenset({"aws_s3_object", "aws_s3_bucket_object", "aws_s3_object_copy"})
_OBJECT_PERMISSION_ACCESS = {
    "READ": frozenset({"read"}),
    "WRITE": frozenset(),
    "READ_ACP": frozenset(),
    "WRITE_ACP": frozenset({"acl_change"}),
    "FULL_CONTROL": frozenset({"read", "acl_change"}),
}
# Policy access kinds as the public exposure kinds.
_POLICY_ACCESS = {"read": ("read",), "list": ("list",), "write": ("write",), "delete": ("write",),
                  "acl": ("acl_change",), "policy": ("acl_change",), "all": PUBLIC_KINDS}
_UNCHANGED_ACTIONS = {"no-op", "read"}


# ------------------------------------------------------------------------------------ verdicts


@dataclass(frozen=True, slots=True)
class Verdict:
    """A three-valued answer with its evidence text and the spans that made it."""

    value: bool | None
    reason: str = ""
    sources: tuple[Source, ...] = ()

    def negate(self, reason_when_true: str | None = None) -> "Verdict":
        """NOT; ``reason_when_true`` replaces the reason when this verdict was True (so the
        negation is the factor that stops something)."""
        value = None if self.value is None else not self.value
        reason = reason_when_true if self.value is True and reason_when_true else self.reason
        return Verdict(value, reason, self.sources)

    def to_value(self) -> Value:
        if self.value is None:
            return Value(State.UNKNOWN, None, self.reason or "could not be determined", self.sources)
        return Value(State.KNOWN, self.value, self.reason or None, self.sources)


def _merge_sources(verdicts: Sequence[Verdict]) -> tuple[Source, ...]:
    """The verdicts' sources in order, each once. Most junctions have at most one verdict with
    sources, most often a single source: that tuple is the answer as it stands, with no hashing."""
    only: tuple[Source, ...] = ()
    for verdict in verdicts:
        if verdict.sources and verdict.sources is not only:
            if only:
                return tuple(dict.fromkeys(s for v in verdicts for s in v.sources))
            only = verdict.sources
    return only if len(only) < 2 else tuple(dict.fromkeys(only))


def _join_reasons(verdicts: Sequence[Verdict]) -> str:
    """The verdicts' reasons in order, each once, joined by '; '. Reasons are long texts built
    afresh; a few are told apart by comparing them (mostly their lengths), not by hashing them."""
    if len(verdicts) == 1:
        return verdicts[0].reason or ""
    if len(verdicts) > 8:
        return "; ".join(dict.fromkeys(v.reason for v in verdicts if v.reason))
    reasons: list[str] = []
    for verdict in verdicts:
        if verdict.reason and verdict.reason not in reasons:
            reasons.append(verdict.reason)
    return "; ".join(reasons)


def _as_itself(verdict: Verdict) -> bool:
    """True when a junction of this verdict alone is equal to it (its reason is kept and its
    sources need no merging), so the verdict itself can stand for the junction."""
    return bool(verdict.reason) and len(verdict.sources) < 2


def all_of(factors: Sequence[Verdict]) -> Verdict:
    """Kleene AND: the first False factor decides; otherwise unknown factors make it unknown."""
    if len(factors) == 1 and _as_itself(factors[0]):
        return factors[0]
    unknown: list[Verdict] = []
    for factor in factors:
        if factor.value is False:
            return Verdict(False, factor.reason, factor.sources)
        if factor.value is None:
            unknown.append(factor)
    if unknown:
        return Verdict(None, _join_reasons(unknown), _merge_sources(factors))
    return Verdict(True, _join_reasons(factors), _merge_sources(factors))


def any_of(options: Sequence[Verdict], none_reason: str = "") -> Verdict:
    """Kleene OR: True options decide; otherwise unknown options make it unknown."""
    if len(options) == 1 and _as_itself(options[0]):
        return options[0]
    true: list[Verdict] = []
    unknown: list[Verdict] = []
    for option in options:
        if option.value is True:
            true.append(option)
        elif option.value is None:
            unknown.append(option)
    if true:
        return Verdict(True, _join_reasons(true), _merge_sources(true))
    if unknown:
        return Verdict(None, _join_reasons(unknown), _merge_sources(unknown))
    return Verdict(False, _join_reasons(options) or none_reason, _merge_sources(options))


# ------------------------------------------------------------------------------ result shapes


@dataclass
class AccountContext:
    """Account settings declared to the gate outside the configuration (a context file)."""

    block: AccountPublicAccessBlock | None = None


def account_blocks_for(model_blocks: Iterable[AccountPublicAccessBlock],
                       context: AccountContext | None = None) -> list[AccountPublicAccessBlock]:
    """The account-level blocks that apply: those in the configuration plus a declared one."""
    blocks = [b for b in model_blocks if not b.deleted]
    if context is not None and context.block is not None:
        blocks.append(context.block)
    return blocks


@dataclass(frozen=True, slots=True)
class EffectiveBlock:
    settings: dict[str, Verdict]
    all: Verdict
    declared: Verdict
    bucket_block: PublicAccessBlock | None
    account_blocks: tuple[AccountPublicAccessBlock, ...]


@dataclass(frozen=True, slots=True)
class ChannelExposure:
    """One way the public could reach the bucket (ACL, policy, an access point)."""

    exposed: Verdict
    access: frozenset[str]  # public access kinds when exposed
    possible_access: frozenset[str]  # kinds that may be exposed when the verdict is unknown
    blocked_at_apply: Verdict


@dataclass(frozen=True, slots=True)
class BucketExposure:
    bucket: Bucket
    block: EffectiveBlock
    acls_disabled: Verdict
    acl_public: Verdict
    acl_canned: Value
    acl: ChannelExposure
    policy_present: Verdict
    policies: tuple[tuple[PolicyAttachment, PolicyAnalysis], ...]
    policy_facts: dict[str, Verdict]
    policy: ChannelExposure
    access_points: tuple[tuple[AccessPoint, ChannelExposure], ...]
    via_access_point: Verdict
    public: Verdict
    public_kinds: dict[str, Verdict]
    blocked_at_apply: Verdict
    summary: str = ""
    notes: tuple[str, ...] = field(default=())


# ------------------------------------------------------------------------------ block settings


def _as_bool(value: Value) -> bool | None | str:
    """A setting Value as bool, None when opaque, or "absent"."""
    if value.opaque:
        return None
    if value.absent:
        return "absent"
    raw = value.value
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
        return raw.strip().lower() == "true"
    return None


def _setting_verdict(block: PublicAccessBlock, name: str) -> Verdict:
    value = block.setting(name)
    state = _as_bool(value)
    sources = (block.source,)
    if state is None:
        detail = value.reason or "known only after apply"
        return Verdict(None, f"{block.address} {name}: {detail}", sources)
    if state == "absent":
        return Verdict(False, f"{block.address} leaves {name} unset (false)", sources)
    return Verdict(bool(state), f"{block.address} sets {name} = {str(state).lower()}", sources)


def _account_setting(blocks: Sequence[AccountPublicAccessBlock], name: str) -> Verdict | None:
    """The weakest account-level value: the gate cannot tell which account a bucket lives in."""
    if not blocks:
        return None
    return all_of([_setting_verdict(b, name) for b in blocks])


def effective_block(bucket: Bucket, account_blocks: Sequence[AccountPublicAccessBlock]) -> EffectiveBlock:
    bucket_block = bucket.public_access_block
    notes: list[str] = []
    if bucket_block is not None and bucket_block.deleted:
        notes.append(f"{bucket_block.address} is destroyed: the bucket falls back to the account's settings")
        bucket_block = None
    account_blocks = tuple(b for b in account_blocks if not b.deleted)
    declared = bucket_block is not None or bool(account_blocks)
    settings: dict[str, Verdict] = {}
    for name in PublicAccessBlock.SETTINGS:
        parts: list[Verdict] = []
        if bucket_block is not None:
            parts.append(_setting_verdict(bucket_block, name))
        account = _account_setting(account_blocks, name)
        if account is not None:
            parts.append(account)
        if not parts:
            reason = "; ".join(notes + [
                f"no public access block is declared for the bucket or the account, so {name} is off "
                "(AWS's defaults for new buckets are not counted)"])
            settings[name] = Verdict(False, reason, ())
        else:
            settings[name] = any_of(parts)
    every = all_of([settings[n] for n in PublicAccessBlock.SETTINGS])
    sources = tuple(dict.fromkeys([*((bucket_block.source,) if bucket_block else ()),
                                   *(b.source for b in account_blocks)]))
    if declared:
        declared_reason = "declared: " + ", ".join(
            ([bucket_block.address] if bucket_block else []) + [b.address for b in account_blocks])
    else:
        declared_reason = "; ".join(notes + ["no public access block is declared for the bucket or the account"])
    return EffectiveBlock(settings, every, Verdict(declared, declared_reason, sources), bucket_block,
                          account_blocks)


# --------------------------------------------------------------------------------- ownership


def acls_disabled(bucket: Bucket) -> Verdict:
    ownership = bucket.ownership
    if ownership is None or ownership.deleted:
        return Verdict(False, "no object ownership setting is declared, so ACLs stay enabled "
                              "(AWS's default for new buckets is not counted)")
    value = ownership.object_ownership
    sources = (ownership.source,)
    if value.opaque:
        return Verdict(None, f"{ownership.address} object_ownership: {value.reason}", sources)
    if value.known and str(value.value) == "BucketOwnerEnforced":
        return Verdict(True, f"{ownership.address} sets BucketOwnerEnforced: ACLs are disabled", sources)
    shown = value.value if value.known else "unset"
    return Verdict(False, f"{ownership.address} sets object ownership {shown}: ACLs are enabled", sources)


# ------------------------------------------------------------------------------------- ACLs


def normalise_canned(value: Any) -> str:
    """S3's spelling of a canned ACL (CloudFormation's ``PublicRead`` becomes ``public-read``)."""
    text = str(value).strip().lower()
    return text if "-" in text else _CFN_CANNED.get(text.replace("_", ""), text)


def _grant_field(grant: Any, name: str) -> Any:
    if isinstance(grant, dict):
        return grant.get(name)
    return getattr(grant, name, None)


def _acl_public(acl: BucketAcl) -> tuple[Verdict, frozenset[str]]:
    sources = (acl.source,)
    findings: list[Verdict] = []
    access: set[str] = set()
    canned = acl.canned
    if canned.opaque:
        findings.append(Verdict(None, f"{acl.address} canned ACL: {canned.reason}", sources))
        access.update(("read",) if _is_object_acl(acl) else ("list", "write"))
    elif canned.known and canned.value is not None:
        name = normalise_canned(canned.value)
        if name in _PUBLIC_CANNED:
            group = "AuthenticatedUsers" if name == "authenticated-read" else "AllUsers"
            if _is_object_acl(acl):
                access.add("read")
                findings.append(Verdict(True, f"{acl.address} sets canned ACL {name} on its object ({group} READ)",
                                        sources))
            else:
                access.update(_PUBLIC_CANNED[name])
                findings.append(Verdict(True, f"{acl.address} sets canned ACL {name} ({group} "
                                              f"{'READ and WRITE' if 'write' in _PUBLIC_CANNED[name] else 'READ'})",
                                        sources))
    grants = acl.grants
    if grants.opaque:
        findings.append(Verdict(None, f"{acl.address} grants: {grants.reason}", sources))
        access.update(("list", "write", "acl_change"))
    elif grants.known and isinstance(grants.value, (list, tuple)):
        for grant in grants.value:
            verdict, kinds = _grant_public(acl, grant)
            if verdict is not None:
                findings.append(verdict)
                access.update(kinds)
    if not findings:
        return Verdict(False, f"{acl.address} grants nothing to AllUsers or AuthenticatedUsers", sources), frozenset()
    return any_of(findings), frozenset(access)


def _grant_public(acl: BucketAcl, grant: Any) -> tuple[Verdict | None, frozenset[str]]:
    sources = (acl.source,)
    if is_opaque(grant):
        return Verdict(None, f"{acl.address} has a grant the gate cannot see", sources), frozenset(PUBLIC_KINDS)
    grantee, permission = _grant_field(grant, "grantee"), _grant_field(grant, "permission")
    if is_opaque(grantee):
        return Verdict(None, f"{acl.address} has a grantee the gate cannot see", sources), frozenset(PUBLIC_KINDS)
    uri = str(grantee or "").strip().lower()
    if uri not in (_ALL_USERS, _AUTHENTICATED_USERS):
        return None, frozenset()
    group = "AllUsers" if uri == _ALL_USERS else "AuthenticatedUsers"
    if is_opaque(permission):
        return Verdict(None, f"{acl.address} grants {group} a permission the gate cannot see", sources), \
            frozenset(PUBLIC_KINDS)
    perm = str(permission or "").strip().upper()
    if _is_object_acl(acl):
        kinds = _OBJECT_PERMISSION_ACCESS.get(perm, frozenset(PUBLIC_KINDS))
        return Verdict(True, f"{acl.address} grants {group} {perm} on its object", sources), kinds
    kinds = _ACL_PERMISSION_ACCESS.get(perm, frozenset(PUBLIC_KINDS))
    return Verdict(True, f"{acl.address} grants {group} {perm}", sources), kinds


def _is_object_acl(acl: BucketAcl) -> bool:
    return acl.resource_type in _OBJECT_ACL_TYPES


def _applied(entity: Entity) -> bool:
    """False when a plan shows the resource unchanged: write-time blocks do not touch it."""
    return not (entity.actions and set(entity.actions) <= _UNCHANGED_ACTIONS)


def _acl_channel(acls: Sequence[BucketAcl], block: EffectiveBlock, disabled: Verdict
                 ) -> tuple[Verdict, Value, ChannelExposure]:
    public_parts: list[Verdict] = []
    access: set[str] = set()
    canned: Value = absent()
    for acl in acls:
        verdict, kinds = _acl_public(acl)
        public_parts.append(verdict)
        if verdict.value is not False:
            access.update(kinds)
        if canned.absent and not acl.canned.absent and not _is_object_acl(acl):
            canned = acl.canned.with_sources((acl.source,))
    public = any_of(public_parts, "no ACL is declared (a new bucket's ACL is private)")
    applied = any(_applied(a) for a in acls)
    block_acls = block.settings["block_public_acls"]
    block_at_apply = block_acls if applied else Verdict(False, "the ACL is unchanged by this plan")
    factors = [
        public,
        disabled.negate(),
        block.settings["ignore_public_acls"].negate(
            f"{block.settings['ignore_public_acls'].reason}: public ACLs are ignored"),
        block_at_apply.negate(f"{block_acls.reason}: the public ACL is rejected at apply"),
    ]
    exposed = all_of(factors)
    blocked = all_of([public, any_of([block_at_apply, disabled])])
    if blocked.value:
        blocked = Verdict(True, f"{public.reason}, but it fails at apply: {any_of([block_at_apply, disabled]).reason}",
                          blocked.sources)
    kinds = frozenset(access)
    channel = ChannelExposure(exposed, kinds if exposed.value else frozenset(), kinds, blocked)
    return public, canned, channel


# ---------------------------------------------------------------------------------- policies


def _policy_verdict(pairs: Sequence[tuple[PolicyAttachment, PolicyAnalysis]], attribute: str,
                    describe: str) -> Verdict:
    """OR of one analysis attribute over all policies, with statement-level evidence."""
    parts: list[Verdict] = []
    for attachment, analysis in pairs:
        sources = (attachment.source,)
        if analysis.unknown_reason is not None:
            parts.append(Verdict(None, f"policy of {attachment.address}: {analysis.unknown_reason}", sources))
            continue
        value = getattr(analysis, attribute)
        statement_attr = {"aws_public": "public", "effective_public": "effective_public",
                          "broad_source_ip": "effective_broad_source_ip"}.get(attribute, attribute)
        hits = [s for s in analysis.statements if s.allows and getattr(s, statement_attr, None) is value]
        detail = " | ".join(f"{s.label}: {'; '.join(s.reasons)}" for s in hits) if value is not False else ""
        reason = f"{attachment.address} {detail}" if detail else f"{attachment.address}: not {describe}"
        parts.append(Verdict(value, reason, sources))
    return any_of(parts, f"no bucket policy ({describe})")


def _statement_fact(pairs: Sequence[tuple[PolicyAttachment, PolicyAnalysis]], test: Any, describe: str) -> Verdict:
    parts: list[Verdict] = []
    for attachment, analysis in pairs:
        sources = (attachment.source,)
        if analysis.unknown_reason is not None:
            parts.append(Verdict(None, f"policy of {attachment.address}: {analysis.unknown_reason}", sources))
            continue
        values = [(s, test(s)) for s in analysis.statements if s.allows]
        hits = [s for s, v in values if v is True]
        if hits:
            parts.append(Verdict(True, f"{attachment.address} " + " | ".join(
                f"{s.label}: {describe}" for s in hits), sources))
        elif any(v is None for _, v in values):
            parts.append(Verdict(None, f"{attachment.address}: a statement may be {describe} "
                                       "(a part is not known before apply)", sources))
        else:
            parts.append(Verdict(False, f"{attachment.address}: no statement is {describe}", sources))
    return any_of(parts, f"no bucket policy, so no statement is {describe}")


def _tls_fact(pairs: Sequence[tuple[PolicyAttachment, PolicyAnalysis]]) -> Verdict:
    if not pairs:
        return Verdict(False, "no bucket policy, so nothing denies requests without TLS")
    parts = []
    for attachment, analysis in pairs:
        value = analysis.denies_insecure_transport
        text = {True: "denies requests without TLS", False: "does not deny requests without TLS",
                None: f"may deny requests without TLS ({analysis.unknown_reason or 'a part is not known before apply'})"}
        parts.append(Verdict(value, f"{attachment.address} {text[value]}", (attachment.source,)))
    return any_of(parts)


def _policy_kinds(analyses: Iterable[PolicyAnalysis], select: str) -> frozenset[str]:
    kinds: set[str] = set()
    for analysis in analyses:
        if analysis.unknown_reason is not None:
            if select == "possible":
                kinds.update(PUBLIC_KINDS)
            continue
        for statement in analysis.statements:
            if not statement.allows:
                continue
            hit = statement.effective_public is True if select == "exposed" else statement.effective_public is not False
            if hit:
                for kind in statement.access:
                    kinds.update(_POLICY_ACCESS.get(kind, ()))
                if select == "possible" and not statement.access_complete:
                    kinds.update(PUBLIC_KINDS)
    return frozenset(kinds)


def _policy_facts(pairs: Sequence[tuple[PolicyAttachment, PolicyAnalysis]]) -> dict[str, Verdict]:
    return {
        "aws_public": _policy_verdict(pairs, "aws_public", "public (AWS's definition)"),
        "effective_public": _policy_verdict(pairs, "effective_public", "public after its Deny statements"),
        "broad_source_ip": _policy_verdict(pairs, "broad_source_ip", "limited to a broad public address range"),
        "any_principal": _statement_fact(pairs, lambda s: s.any_principal, 'allowing Principal "*"'),
        "all_actions": _statement_fact(pairs, lambda s: s.all_actions, "allowing all actions"),
        "all_actions_public": _statement_fact(
            pairs, lambda s: _and3(s.all_actions, _public_principal(s.principal_class)),
            "allowing all actions to a public principal"),
        "allow_not_principal": _statement_fact(pairs, lambda s: s.not_principal, "Allow with NotPrincipal"),
        "allow_not_action": _statement_fact(pairs, lambda s: s.not_action, "Allow with NotAction"),
        "denies_insecure_transport": _tls_fact(pairs),
    }


_POLICY_FACT_PATHS = tuple((name, f"policy.{name}") for name in (
    "aws_public", "effective_public", "any_principal", "all_actions", "all_actions_public", "allow_not_principal",
    "allow_not_action", "broad_source_ip", "denies_insecure_transport"))
# A bucket without a policy: the same verdicts (and fact values) for every such bucket.
_NO_POLICY_FACTS = _policy_facts(())
_NO_POLICY_VALUES = {id(verdict): verdict.to_value() for verdict in _NO_POLICY_FACTS.values()}


def _policy_channel(pairs: Sequence[tuple[PolicyAttachment, PolicyAnalysis]], block: EffectiveBlock
                    ) -> tuple[dict[str, Verdict], ChannelExposure]:
    facts = _policy_facts(pairs) if pairs else dict(_NO_POLICY_FACTS)
    applied = any(_applied(a) for a, _ in pairs)
    block_policy = block.settings["block_public_policy"]
    block_at_apply = block_policy if applied else Verdict(False, "the policy is unchanged by this plan")
    restrict = block.settings["restrict_public_buckets"]
    exposed = all_of([
        facts["effective_public"],
        restrict.negate(f"{restrict.reason}: only the owner account and AWS services can use a public policy"),
        block_at_apply.negate(f"{block_policy.reason}: a public policy is rejected at apply"),
    ])
    blocked = all_of([facts["aws_public"], block_at_apply])
    if blocked.value:
        blocked = Verdict(True, f"{facts['aws_public'].reason}, but the policy fails at apply: {block_at_apply.reason}",
                          blocked.sources)
    analyses = [a for _, a in pairs]
    channel = ChannelExposure(exposed, _policy_kinds(analyses, "exposed") if exposed.value else frozenset(),
                              _policy_kinds(analyses, "possible"), blocked)
    return facts, channel


def _public_principal(principal_class: str) -> bool | None:
    return None if principal_class == "unknown" else principal_class == "public"


def _and3(a: bool | None, b: bool | None) -> bool | None:
    if a is False or b is False:
        return False
    return None if a is None or b is None else True


# ----------------------------------------------------------------------------- access points


def _ap_setting(ap: AccessPoint, name: str, bucket_level: Verdict) -> Verdict:
    block = ap.public_access_block
    if block is None or block.deleted:
        own = Verdict(True, f"{ap.address} declares no public access block: access points default to {name} = true",
                      (ap.source,))
    else:
        own = _setting_verdict(block, name)
    return any_of([own, bucket_level])


def _network_origin(ap: AccessPoint) -> Verdict:
    value = ap.network_origin
    sources = (ap.source,)
    if value.opaque:
        return Verdict(None, f"{ap.address} network origin: {value.reason}", sources)
    if value.known and str(value.value).strip().lower() == "vpc":
        return Verdict(False, f"{ap.address} has VPC network origin (never public)", sources)
    return Verdict(True, f"{ap.address} has Internet network origin", sources)


def _delegates(pairs: Sequence[tuple[PolicyAttachment, PolicyAnalysis]], effective_public: Verdict) -> Verdict:
    """Does the bucket policy let access points decide for anyone (or grant the public itself)?

    A request through an access point needs the bucket policy's permission too, so only a delegating
    statement open to any principal lets an access point's public grant through; one that names
    principals lets only those principals through."""
    parts = [effective_public]
    for attachment, analysis in pairs:
        if analysis.unknown_reason is not None:
            continue
        for statement, verdict in zip(analysis.document.statements, analysis.statements):
            if statement.effect == "Deny" or verdict.principal_class not in ("public", "unknown"):
                continue
            keys = {c.key for c in statement.conditions}
            if keys & {"s3:dataaccesspointaccount", "s3:dataaccesspointarn"}:
                known = verdict.principal_class == "public"
                text = "delegates access control to access points" if known else (
                    f"may delegate access control to access points ({'; '.join(verdict.reasons[:1])})")
                parts.append(Verdict(True if known else None, f"{attachment.address} {statement.label} {text}",
                                     (attachment.source,)))
    return any_of(parts, "the bucket policy does not delegate access to access points for any principal")


def _access_point_channel(ap: AccessPoint, block: EffectiveBlock, delegation: Verdict,
                          options: PolicyOptions) -> ChannelExposure:
    if ap.policy is None or ap.policy.deleted or ap.policy.document.absent:
        ap_public = Verdict(False, f"{ap.address} has no access point policy", (ap.source,))
        analysis = None
    else:
        analysis = analyse_policy(ap.policy.document, options, context="access_point")
        ap_public = _policy_verdict([(ap.policy, analysis)], "effective_public", "public")
    restrict = _ap_setting(ap, "restrict_public_buckets", block.settings["restrict_public_buckets"])
    block_policy = _ap_setting(ap, "block_public_policy", block.settings["block_public_policy"])
    exposed = all_of([_network_origin(ap), ap_public, restrict.negate(), block_policy.negate(), delegation])
    kinds = _policy_kinds([analysis], "exposed") if analysis is not None else frozenset()
    possible = _policy_kinds([analysis], "possible") if analysis is not None else frozenset()
    blocked = Verdict(False, "")
    if analysis is not None:
        blocked = all_of([_policy_verdict([(ap.policy, analysis)], "aws_public", "public"), block_policy])
    return ChannelExposure(exposed, kinds if exposed.value else frozenset(), possible, blocked)


# ------------------------------------------------------------------------------------ bucket


def bucket_exposure(bucket: Bucket, account_blocks: Sequence[AccountPublicAccessBlock],
                    options: PolicyOptions | None = None) -> BucketExposure:
    options = options or PolicyOptions()
    block = effective_block(bucket, account_blocks)
    disabled = acls_disabled(bucket)
    acls = [a for a in bucket.acls if not a.deleted]
    acl_public, canned, acl = _acl_channel(acls, block, disabled)

    attachments = [p for p in bucket.policies if not p.deleted and not p.document.absent]
    pairs = tuple((p, analyse_policy(p.document, options, context="bucket")) for p in attachments)
    present = (Verdict(True, "policy declared by " + ", ".join(p.address for p in attachments),
                       tuple(p.source for p in attachments))
               if attachments else Verdict(False, "no bucket policy is declared"))
    policy_facts, policy = _policy_channel(pairs, block)

    delegation = _delegates(pairs, policy_facts["effective_public"])
    ap_channels = tuple((ap, _access_point_channel(ap, block, delegation, options))
                        for ap in bucket.access_points if not ap.deleted)
    via_ap = any_of([c.exposed for _, c in ap_channels], "no access point exposes the bucket")

    channels = [acl, policy, *(c for _, c in ap_channels)]
    public = any_of([acl.exposed, policy.exposed, via_ap], "no ACL, policy or access point grants the public access")
    kinds = {kind: _kind_verdict(kind, channels) for kind in PUBLIC_KINDS}
    blocked = any_of([acl.blocked_at_apply, policy.blocked_at_apply, *(c.blocked_at_apply for _, c in ap_channels)],
                     "nothing public is rejected at apply")
    draft = BucketExposure(bucket, block, disabled, acl_public, canned, acl, present, pairs, policy_facts,
                           policy, ap_channels, via_ap, public, kinds, blocked)
    return BucketExposure(bucket, block, disabled, acl_public, canned, acl, present, pairs, policy_facts,
                          policy, ap_channels, via_ap, public, kinds, blocked, _summary(draft))


def _kind_verdict(kind: str, channels: Sequence[ChannelExposure]) -> Verdict:
    parts: list[Verdict] = []
    for channel in channels:
        if channel.exposed.value is True and kind in channel.access:
            parts.append(channel.exposed)
        elif channel.exposed.value is None and kind in channel.possible_access:
            parts.append(channel.exposed)
    return any_of(parts, f"the public cannot {_KIND_VERBS[kind]}")


_KIND_VERBS = {"read": "read objects", "write": "write or delete objects", "list": "list objects",
               "acl_change": "change permissions"}


def _summary(exposure: BucketExposure) -> str:
    name = exposure.bucket.address
    public = exposure.public
    broad = exposure.policy_facts["broad_source_ip"]
    if public.value:
        verbs = [_KIND_VERBS[k] for k in PUBLIC_KINDS if exposure.public_kinds[k].value]
        text = f"{name} is public: anyone can {', '.join(verbs) or 'reach it'} because {public.reason}"
    elif public.value is None:
        text = f"{name} may be public: {public.reason}"
    else:
        if exposure.blocked_at_apply.value:
            text = f"{name} is not public: {exposure.blocked_at_apply.reason}"
        elif not exposure.block.declared.value and exposure.policy_present.value is False \
                and exposure.acl_public.value is False:
            text = f"{name} is not public: nothing grants public access (no public access block is declared)"
        else:
            text = f"{name} is not public: {_not_public_reason(exposure)}"
    if broad.value:
        text += f"; its policy admits a broad public address range: {broad.reason}"
    return text


def _not_public_reason(exposure: BucketExposure) -> str:
    reasons = []
    if exposure.acl_public.value is not False:
        reasons.append(f"ACL neutralised ({exposure.acl.exposed.reason})")
    if exposure.policy_facts["effective_public"].value is not False:
        reasons.append(f"policy neutralised ({exposure.policy.exposed.reason})")
    elif exposure.policy_facts["aws_public"].value:
        reasons.append(f"public Allow narrowed by Deny ({exposure.policy_facts['effective_public'].reason})")
    return "; ".join(reasons) or "no ACL, policy or access point grants the public access"


# ------------------------------------------------------------------------------------- facts


def exposure_facts(exposure: BucketExposure) -> dict[str, Value]:
    """The bucket's exposure as fact paths for rules; every Value carries its evidence spans."""
    block = exposure.block
    facts: dict[str, Verdict | Value] = {
        "exposure.public": exposure.public,
        "exposure.public_read": exposure.public_kinds["read"],
        "exposure.public_write": exposure.public_kinds["write"],
        "exposure.public_list": exposure.public_kinds["list"],
        "exposure.public_acl_change": exposure.public_kinds["acl_change"],
        "exposure.via_acl": exposure.acl.exposed,
        "exposure.via_policy": exposure.policy.exposed,
        "exposure.via_access_point": exposure.via_access_point,
        "exposure.blocked_at_apply": exposure.blocked_at_apply,
        "acl.public": exposure.acl_public,
        "acl.canned": exposure.acl_canned,
        "policy.present": exposure.policy_present,
        "effective_block.block_public_acls": block.settings["block_public_acls"],
        "effective_block.block_public_policy": block.settings["block_public_policy"],
        "effective_block.ignore_public_acls": block.settings["ignore_public_acls"],
        "effective_block.restrict_public_buckets": block.settings["restrict_public_buckets"],
        "effective_block.all": block.all,
        "effective_block.declared": block.declared,
        "ownership.acls_disabled": exposure.acls_disabled,
    }
    out = {path: fact.to_value() if isinstance(fact, Verdict) else fact for path, fact in facts.items()}
    for name, path in _POLICY_FACT_PATHS:
        fact = exposure.policy_facts[name]
        out[path] = _NO_POLICY_VALUES.get(id(fact)) or fact.to_value()
    summary_sources = out["exposure.public"].sources
    out["exposure.summary"] = Value(State.KNOWN, exposure.summary, None, summary_sources)
    return out


FACT_PATHS = (
    "exposure.public", "exposure.public_read", "exposure.public_write", "exposure.public_list",
    "exposure.public_acl_change", "exposure.via_acl", "exposure.via_policy", "exposure.via_access_point",
    "exposure.blocked_at_apply", "exposure.summary", "acl.public", "acl.canned", "policy.present",
    "policy.aws_public", "policy.effective_public", "policy.any_principal", "policy.all_actions",
    "policy.all_actions_public", "policy.allow_not_principal", "policy.allow_not_action",
    "policy.broad_source_ip", "policy.denies_insecure_transport", "effective_block.block_public_acls",
    "effective_block.block_public_policy", "effective_block.ignore_public_acls",
    "effective_block.restrict_public_buckets", "effective_block.all", "effective_block.declared",
    "ownership.acls_disabled",
)

__all__ = ["AccountContext", "BucketExposure", "ChannelExposure", "EffectiveBlock", "FACT_PATHS",
           "PUBLIC_KINDS", "Verdict", "account_blocks_for", "acls_disabled", "all_of", "any_of",
           "bucket_exposure", "effective_block", "exposure_facts", "normalise_canned"]
