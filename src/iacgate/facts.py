"""Turn the analysed model into rule subjects: one per resource, with dotted fact paths.

Facts state AWS's effective meaning: an attribute that is not written becomes the value AWS applies
(``versioning.enabled`` is False when nothing enables it), an attribute the gate cannot see stays
unknown / unresolved with its reason.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

from .collector import collector_paused
from .findings import Subject
from .model import AccountPublicAccessBlock, Bucket, Entity, PublicAccessBlock
from .values import Source, State, Value, known


def derive(value: Value, fn: Callable[[Any], Any], when_absent: Any, *fallback: Source) -> Value:
    """Map a known value; an absent one becomes ``when_absent`` (AWS's default); opaque stays opaque."""
    if value.state is State.KNOWN:
        return Value(State.KNOWN, fn(value.value), value.reason, value.sources)
    if value.state is State.ABSENT:
        return Value(State.KNOWN, when_absent, value.reason, value.sources or tuple(fallback))
    return value


def _enabled(status: Any) -> bool:
    return isinstance(status, str) and status.lower() == "enabled" or status is True


def subject_for(entity: Entity, kind: str, facts: dict[str, Value]) -> Subject:
    raw = entity.raw
    return Subject(kind=kind, address=entity.address, resource_type=entity.resource_type,
                   source_kind=entity.source_kind, source=entity.source, facts=facts,
                   actions=entity.actions, meta=dict(raw.meta) if raw is not None else {})


def block_facts(prefix: str, block: PublicAccessBlock | None, fallback: Source) -> dict[str, Value]:
    facts = {f"{prefix}.present": known(block is not None and not block.deleted,
                                        *((block.source,) if block else (fallback,)))}
    for name in PublicAccessBlock.SETTINGS:
        if block is None or block.deleted:
            facts[f"{prefix}.{name}"] = known(False, fallback)
        else:
            facts[f"{prefix}.{name}"] = derive(block.setting(name), bool, False, block.source)
    return facts


def bucket_hygiene_facts(bucket: Bucket) -> dict[str, Value]:
    src = bucket.source
    facts: dict[str, Value] = {
        "name": bucket.name,
        "declared": known(bucket.declared, src),
        "versioning.enabled": derive(bucket.versioning, _enabled, False, src),
        "versioning.mfa_delete": derive(bucket.mfa_delete, _enabled, False, src),
        "encryption.enabled": derive(bucket.encryption, lambda alg: bool(alg), False, src),
        "encryption.algorithm": bucket.encryption,
        "logging.enabled": derive(bucket.logging, bool, False, src),
        "website.enabled": derive(bucket.website, bool, False, src),
    }
    facts.update(block_facts("public_access_block", bucket.public_access_block, src))
    return facts


def account_block_facts(block: AccountPublicAccessBlock) -> dict[str, Value]:
    facts = {name: derive(block.setting(name), bool, False, block.source)
             for name in PublicAccessBlock.SETTINGS}
    values = list(facts.values())
    if all(v.known and v.value is True for v in values):
        facts["all"] = known(True, block.source)
    elif any(v.known and v.value is False for v in values):
        facts["all"] = known(False, block.source)
    else:
        opaque = next(v for v in values if not v.known)
        facts["all"] = opaque
    return facts


def bucket_subjects(buckets: Iterable[Bucket], exposure_facts: Callable[[Bucket], dict[str, Value]]
                    ) -> list[Subject]:
    """One subject per bucket. The exposure analysis makes many small objects and no cycles: the
    cyclic collector is paused meanwhile (left running, its full collections walk the whole model
    again and again, about a third of the time on big inputs)."""
    out = []
    with collector_paused():
        for bucket in buckets:
            if bucket.deleted:
                continue
            facts = bucket_hygiene_facts(bucket)
            facts.update(exposure_facts(bucket))
            out.append(subject_for(bucket, "s3_bucket", facts))
    return out


def account_block_subjects(blocks: Iterable[AccountPublicAccessBlock]) -> list[Subject]:
    return [subject_for(b, "s3_account_public_access_block", account_block_facts(b))
            for b in blocks if not b.deleted]
