"""The findings of a plan's prior state, for telling the findings a change introduces from those it keeps.

The prior state is every plan resource as it was before the change (``change.before``). Most of a
plan's buckets are usually left alone, and a bucket's findings are a function of its part of the
model: the bucket entity, everything linked to it (ACLs, policies, public access block, ownership
controls, access points, ...) and the stack's account-level public access blocks. Where that part is
the same before and after the change, the bucket's findings before are its findings after, so only
the other buckets are analysed over the prior state.

"The same" is decided on the two models, not guessed from the resources' actions: the prior-state
model is built (building is cheap; the exposure analysis is what costs), and a bucket is reused only
when

- its address names exactly one bucket in each model,
- the two entity graphs reachable from it are equal field by field (links, values and their sources),
  every raw resource in them is one the plan leaves unchanged (action ``no-op`` with ``before`` equal
  to the planned value), and
- the account-level public access blocks of the two models are equal in the same way.

A policy deleted by the plan, a policy moved to another bucket, a bucket name that became ambiguous:
each changes a graph (a link appears or disappears, a raw resource changed), so the bucket is
analysed again. Every other subject (account blocks, credentials, access keys, launch sites, which
read every bucket) is analysed over the prior state as before.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from .findings import Finding, Subject
from .model import Bucket, Model
from .raw import RawResource
from .values import Source, Value

# Analyse a model; bucket subjects only for the given buckets (all other subjects as usual).
AnalyseWithBuckets = Callable[[Model, list[Bucket]], list[Subject]]
Evaluate = Callable[[list[Subject]], list[Finding]]

# Fields that record the prior state itself (a bucket the plan shows as already existing): they differ
# between the two models by construction and are not read by the analyses.
PRIOR_STATE_FIELDS = frozenset({"existing"})


def before_resources(resources: Iterable[RawResource]) -> list[RawResource]:
    """The prior state of a plan as raw resources, for telling new findings from existing ones."""
    return [dataclasses.replace(r, attrs=r.before, actions=("no-op",), before=None)
            for r in resources if r.source_kind == "plan" and isinstance(r.before, dict)]


def unchanged_addresses(resources: Iterable[RawResource]) -> frozenset[str]:
    """Plan resources the change leaves exactly as they are: one resource at the address, action
    ``no-op``, and a prior value equal to the planned one."""
    seen: dict[str, int] = {}
    same: set[str] = set()
    for resource in resources:
        seen[resource.address] = seen.get(resource.address, 0) + 1
        if (resource.source_kind == "plan" and resource.actions == ("no-op",)
                and isinstance(resource.before, dict)
                and (resource.before is resource.attrs or resource.before == resource.attrs)):
            same.add(resource.address)
    return frozenset(a for a in same if seen[a] == 1)


_PLAIN = (Value, Source, str, int, float, bool, type(None))


@cache
def _compared_fields(cls: type) -> tuple[str, ...]:
    """A dataclass's fields in comparison order: its raw resource first (the cheapest difference)."""
    names = [f.name for f in dataclasses.fields(cls) if f.name not in PRIOR_STATE_FIELDS]
    return tuple(sorted(names, key=lambda name: name != "raw"))


class _GraphComparison:
    """Field-by-field equality of two model graphs, where a raw resource matches only itself in the
    other model and only when the plan leaves it unchanged."""

    def __init__(self, unchanged: frozenset[str]) -> None:
        self.unchanged = unchanged
        self.visiting: set[tuple[int, int]] = set()

    def same(self, before: Any, after: Any) -> bool:
        cls = type(before)
        if cls is not type(after):
            return False
        if issubclass(cls, _PLAIN):
            return bool(before == after)
        if cls is RawResource:
            return before.address == after.address and before.address in self.unchanged
        if cls is list or cls is tuple:
            return len(before) == len(after) and all(map(self.same, before, after))
        if cls is dict:
            return before.keys() == after.keys() and all(self.same(before[k], after[k]) for k in before)
        if dataclasses.is_dataclass(cls):
            return self._same_fields(before, after)
        return bool(before == after)

    def _same_fields(self, before: Any, after: Any) -> bool:
        pair = (id(before), id(after))
        if pair in self.visiting:  # a link back to an entity being compared
            return True
        self.visiting.add(pair)
        try:
            return all(self.same(getattr(before, name), getattr(after, name))
                       for name in _compared_fields(type(before)))
        finally:
            self.visiting.discard(pair)


def _single_by_address(buckets: Iterable[Bucket]) -> dict[str, Bucket]:
    by_address: dict[str, list[Bucket]] = {}
    for bucket in buckets:
        by_address.setdefault(bucket.address, []).append(bucket)
    return {address: found[0] for address, found in by_address.items() if len(found) == 1}


def unchanged_buckets(prior: Model, planned: Model, unchanged: frozenset[str]) -> frozenset[str]:
    """Addresses of the buckets whose part of the model is the same in both models."""
    compare = _GraphComparison(unchanged)
    try:
        same_blocks = compare.same(prior.account_public_access_blocks, planned.account_public_access_blocks)
    except RecursionError:
        return frozenset()
    if not same_blocks:
        return frozenset()
    before, after = _single_by_address(prior.buckets), _single_by_address(planned.buckets)
    return frozenset(address for address, bucket in before.items()
                     if address in after and _same_or_too_deep(compare, bucket, after[address]))


def _same_or_too_deep(compare: _GraphComparison, before: Bucket, after: Bucket) -> bool:
    try:
        return compare.same(before, after)
    except RecursionError:  # values nested too deeply to compare: analyse the bucket again
        return False


@dataclass
class PriorPart:
    """The prior state's findings over everything but the buckets the change leaves alone
    (``reused``), whose findings over the prior state are their planned findings. The findings may be
    carried as :class:`~iacgate.gate.FindingStatus` (from a worker process: all that telling new from
    existing needs)."""

    findings: list[Any] = field(default_factory=list)
    reused: frozenset[str] = frozenset()


def prior_part(resources: list[RawResource], planned: Model, build: Callable[[list[RawResource]], Model],
               analyse: AnalyseWithBuckets, evaluate: Evaluate) -> PriorPart:
    """The part of the prior state's findings the planned state's analysis cannot stand for: it needs
    the planned model, not its analysis (so it can run beside that analysis)."""
    prior_resources = before_resources(resources)
    if not prior_resources:
        return PriorPart()
    prior = build(prior_resources)
    reused = unchanged_buckets(prior, planned, unchanged_addresses(resources))
    return PriorPart(evaluate(analyse(prior, [b for b in prior.buckets if b.address not in reused])), reused)


def prior_findings(resources: list[RawResource], planned: Model, planned_subjects: list[Subject],
                   build: Callable[[list[RawResource]], Model], analyse: AnalyseWithBuckets,
                   evaluate: Evaluate, part: PriorPart | None = None,
                   planned_findings: Evaluate | None = None) -> list[Any]:
    """The findings over the prior state of the plans among ``resources`` (empty when no resource
    existed before). For each rule and address they hold the same statuses as evaluating the whole
    prior state: the buckets whose part of the model the change leaves alone have their planned
    findings (``planned_findings`` of their planned subjects, where the caller holds them; else
    evaluated again), everything else is evaluated on the prior-state model (``part``, when already
    worked out)."""
    if part is None:
        part = prior_part(resources, planned, build, analyse, evaluate)
    reused = [s for s in planned_subjects if s.kind == "s3_bucket" and s.address in part.reused]
    if not reused:
        return list(part.findings)
    return part.findings + (planned_findings or evaluate)(reused)


__all__ = ["PRIOR_STATE_FIELDS", "PriorPart", "before_resources", "prior_findings", "prior_part",
           "unchanged_addresses", "unchanged_buckets"]
