"""One run of the gate: load -> model -> analyse -> rules -> gate."""
from __future__ import annotations

from dataclasses import dataclass, field

from . import __version__
from .build import build_model
from .discovery import discover
from .findings import Finding, ScanReport, Subject
from .load import LoadOptions, load_inputs
from .model import AccountPublicAccessBlock, Model
from .raw import InputError, LoadResult


@dataclass
class ScanOptions:
    load: LoadOptions = field(default_factory=LoadOptions)
    policies: list[str] = field(default_factory=list)
    only: list[str] = field(default_factory=list)
    skip: list[str] = field(default_factory=list)
    min_severity: str | None = None
    fail_on: str = "high"
    unknown: str = "auto"
    account_blocks: list[AccountPublicAccessBlock] = field(default_factory=list)
    rule_params: dict[str, object] = field(default_factory=dict)


def load(paths: list[str], options: LoadOptions) -> LoadResult:
    return load_inputs(discover(paths), options)


def unlinked_errors(model: Model) -> list[InputError]:
    """Satellites whose bucket cannot be identified are reported, never silently dropped."""
    return [InputError(u.entity.source.file, f"{u.reason}; it is not linked to any bucket, so its effect "
                       "is not analysed", u.entity.source.line, kind="warning") for u in model.unlinked]


def analyse(model: Model, options: ScanOptions) -> list[Subject]:
    from .analysis import s3_exposure
    from .analysis.credentials import access_key_subjects, credential_subjects, find_credentials
    from .facts import account_block_subjects, bucket_subjects

    policy_options = s3_exposure.PolicyOptions()
    subjects: list[Subject] = []
    by_stack: dict[str, list[AccountPublicAccessBlock]] = {}
    for block in model.account_public_access_blocks:
        if not block.deleted and block.raw is not None:
            by_stack.setdefault(block.raw.stack or block.raw.file, []).append(block)

    def exposure_facts(bucket):  # type: ignore[no-untyped-def]
        stack = bucket.raw.stack or bucket.raw.file if bucket.raw is not None else ""
        blocks = by_stack.get(stack, []) + options.account_blocks
        return s3_exposure.exposure_facts(s3_exposure.bucket_exposure(bucket, blocks, policy_options))

    subjects.extend(bucket_subjects(model.buckets, exposure_facts))
    subjects.extend(account_block_subjects(model.account_public_access_blocks))
    subjects.extend(credential_subjects(find_credentials(model.raw)))
    subjects.extend(access_key_subjects(model.raw))
    try:
        from .analysis.imds import launch_site_subjects
    except ImportError:
        return subjects
    subjects.extend(launch_site_subjects(model))
    return subjects


def evaluate_rules(subjects: list[Subject], options: ScanOptions) -> tuple[list[Finding], list[InputError]]:
    from .rules.engine import evaluate, load_rules, select_rules

    rules, rule_errors = load_rules(options.policies)
    errors = [InputError(getattr(e, "file", "policies"), str(getattr(e, "message", e)),
                         kind="error") for e in rule_errors]
    rules = select_rules(rules, only=options.only, skip=options.skip, min_severity=options.min_severity)
    return evaluate(rules, subjects, options.rule_params), errors


def scan(paths: list[str], options: ScanOptions) -> ScanReport:
    from .gate import GateOptions, apply_gate

    loaded = load(paths, options.load)
    model = build_model(loaded.resources)
    subjects = analyse(model, options)
    findings, rule_errors = evaluate_rules(subjects, options)
    errors = loaded.errors + unlinked_errors(model) + rule_errors
    return apply_gate(findings, errors, GateOptions(fail_on=options.fail_on, unknown=options.unknown),
                      files=loaded.files, resources=sum(1 for r in loaded.resources if r.mode == "managed"),
                      tool_version=__version__)
