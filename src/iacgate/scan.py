"""One run of the gate: load -> model -> analyse -> rules -> suppressions -> gate."""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .collector import collector_paused
from .build import build_model, by_stack
from .discovery import discover
from .findings import Evidence, Finding, ScanReport, Subject
from .load import LoadOptions, load_inputs
from .model import AccountPublicAccessBlock, Bucket, Model
from .raw import InputError, LoadResult, RawResource, StackOrigin, distinct_errors

if TYPE_CHECKING:
    from .analysis.credentials import CredentialHit
    from .baseline import Baseline
    from .gate import FindingStatus
    from .prior_state import PriorPart
    from .rules.loader import BuiltinCheck, Rule, RuleError
    from .stack_cache import StackCache, StackFindings
    from .workers import ForkedCall


@dataclass
class ScanOptions:
    load: LoadOptions = field(default_factory=LoadOptions)
    policies: list[str] = field(default_factory=list)
    only: list[str] = field(default_factory=list)
    skip: list[str] = field(default_factory=list)
    min_severity: str | None = None
    fail_on: str = "high"
    unknown: str = "auto"
    new_only: bool = False
    account_blocks: list[AccountPublicAccessBlock] = field(default_factory=list)
    rule_params: dict[str, dict[str, object]] = field(default_factory=dict)
    ignore_file: str | None = None  # None: .iacgate-ignore.yaml in the current folder, when present
    baseline: str | None = None
    today: dt.date | None = None
    source_root: str | None = None  # plans: the root module folder, to point findings at .tf lines


def load(paths: list[str], options: LoadOptions) -> LoadResult:
    return load_inputs(discover(paths), options)


def unlinked_errors(model: Model) -> list[InputError]:
    """Satellites whose bucket cannot be identified are reported, never silently dropped."""
    return [InputError(u.entity.source.file, f"{u.reason}; the gate cannot tell which bucket it configures, "
                       "so it is analysed as configuring an unidentified bucket", u.entity.source.line,
                       kind="warning") for u in model.unlinked]


def analyse(model: Model, account_blocks: list[AccountPublicAccessBlock], buckets: list[Bucket] | None = None,
            credentials: Callable[[Model], list[CredentialHit]] | None = None) -> list[Subject]:
    """The subjects of a model; ``buckets``: only these of its buckets (all by default);
    ``credentials``: where the credentials in its resources come from (found here by default)."""
    from .analysis import s3_exposure
    from .analysis.credentials import (
        access_key_subjects,
        credential_subjects,
        find_credentials,
    )
    from .analysis.imds import launch_site_subjects
    from .facts import account_block_subjects, bucket_subjects

    by_stack: dict[str, list[AccountPublicAccessBlock]] = {}
    for block in model.account_public_access_blocks:
        if not block.deleted and block.raw is not None:
            by_stack.setdefault(block.raw.stack or block.raw.file, []).append(block)

    def exposure_facts(bucket):  # type: ignore[no-untyped-def]
        stack = (bucket.raw.stack or bucket.raw.file) if bucket.raw is not None else ""
        blocks = by_stack.get(stack, []) + account_blocks
        return s3_exposure.exposure_facts(s3_exposure.bucket_exposure(bucket, blocks))

    subjects: list[Subject] = []
    subjects.extend(bucket_subjects(model.buckets if buckets is None else buckets, exposure_facts))
    subjects.extend(account_block_subjects(model.account_public_access_blocks))
    subjects.extend(credential_subjects(find_credentials(model.raw) if credentials is None
                                        else credentials(model)))
    subjects.extend(access_key_subjects(model.raw))
    subjects.extend(launch_site_subjects(model))
    return subjects


def too_deep_to_analyse(model: Model) -> InputError:
    """The error for a stack whose values nest deeper than the analysis can follow."""
    where = next((r.stack or r.file for r in model.raw if r.stack or r.file), "<input>")
    return InputError(where, "values nested too deeply to analyse; nothing in this stack was checked")


def _declared_by(findings: list[Finding], subjects: list[Subject]) -> None:
    """A resource a module call declares names that call as evidence (where it is written)."""
    calls = {(s.address, s.source.file): s.meta.get("declared_by") for s in subjects if s.meta.get("declared_by")}
    for finding in findings:
        call = calls.get((finding.address, finding.location.file))
        if call and all(e.address != call for e in finding.evidence):
            loc = finding.location
            finding.evidence.append(Evidence(call, loc.file, loc.line, loc.end_line,
                                             "module call; resources modelled from its inputs"))


def _ignore_entries(options: ScanOptions) -> list:  # type: ignore[type-arg]
    from .suppressions import discover_ignore_file, load_ignore_file

    path = options.ignore_file or discover_ignore_file(Path.cwd())
    return load_ignore_file(path) if path else []


def without_configuration_twins(findings: list[Finding]) -> list[Finding]:
    """Findings on a plan and on the configuration it was made from, scanned together
    (``iacgate check .`` where a plan file sits beside the ``.tf`` files), once: where a plan finding
    maps to the same rule, address and block as a configuration finding, the plan's is kept (it
    holds the values Terraform will apply)."""
    def key(finding: Finding) -> tuple[str, str, str, int | None]:
        return (finding.rule_id, finding.address, os.path.abspath(finding.location.file or ""),
                finding.location.line)

    planned = {key(f) for f in findings if f.source_kind == "plan" and f.location.line is not None}
    if not planned:
        return findings
    return [f for f in findings if f.source_kind == "plan" or key(f) not in planned]


def implied_source_root(resources: list[RawResource]) -> str | None:
    """Where a plan was most likely made from when ``--source-root`` is not given: the folder of the
    plan file (the current folder for standard input), when it holds ``.tf`` files. Atlantis, CI jobs
    and people run ``terraform show -json`` there."""
    from .load import STDIN_NAME

    plan_files = {r.file for r in resources if r.source_kind == "plan"}
    folders = {os.getcwd() if f == STDIN_NAME else os.path.dirname(os.path.abspath(f)) for f in plan_files}
    if len(folders) != 1:
        return None
    (folder,) = folders
    try:
        if not any(name.endswith(".tf") for name in os.listdir(folder)):
            return None
    except OSError:
        return None
    relative = os.path.relpath(folder)
    return folder if relative.startswith("..") else relative


def scan(paths: list[str], options: ScanOptions, keep_alive: list[object] | None = None,
         builtin_rules: BuiltinCheck | None = None) -> ScanReport:
    """Raises ``ValueError`` subclasses (ignore file, baseline) for usage errors. ``keep_alive``: where
    the scan leaves its inputs and models instead of freeing them as it returns, for a caller that
    ends the process without freeing them (the CLI: freeing a large scan's objects one by one costs
    a few percent of its run). ``builtin_rules``: the built-in pack's check, started by the caller."""
    from .baseline import load_baseline

    ignore_entries = _ignore_entries(options)
    baseline = load_baseline(options.baseline) if options.baseline else None
    if options.source_root:
        from .source_map import check_source_root

        check_source_root(options.source_root)

    rules = ScanRules(options, builtin_rules)
    try:
        cache = _stack_cache(options, rules)
        load_options = dataclasses.replace(options.load, reuse=cache.take if cache is not None else None,
                                           analyse=functools.partial(analysed_origin, options=options,
                                                                     rules=rules.selected),
                                           prepare_analysis=functools.partial(prepare_analysis, rules))
        # Loading, analysing and gating make millions of objects (a large tree's syntax, a plan's
        # decoded values, models, subjects, findings) and next to no garbage cycles: the collector
        # stays paused for the whole scan instead of walking them again and again (a quarter of a
        # large plan's run; peak memory is no higher), and what the scan keeps is not walked as new
        # when it runs again. The report formats pause it as they need.
        with collector_paused(age_survivors=True):
            loaded = load(paths, load_options)
            if keep_alive is not None:
                keep_alive.append(loaded)
            return _gate_loaded(loaded, options, ignore_entries, baseline, rules.selected(), rules.errors(),
                                cache, keep_alive)
    finally:
        rules.close()


def prepare_analysis(rules: ScanRules, source_kind: str) -> None:
    """Before workers that analyse stacks of ``source_kind`` are forked: the modules they run are
    imported here, once, while the rule check finishes (each worker would import them again on its
    own clock), and then the rules are resolved. The workers inherit both."""
    import importlib

    from .build import builders

    for module in WORKER_MODULES:
        importlib.import_module(module, __package__)
    builders(source_kind)
    rules.selected()


# What a worker runs to analyse a stack, besides its kind's model builders.
WORKER_MODULES = (".facts", ".stack_cache", ".suppressions", ".rules.engine", ".analysis.credentials",
                  ".analysis.egress", ".analysis.iam_policy", ".analysis.imds", ".analysis.s3_exposure")


class ScanRules:
    """The rules a scan evaluates: the built-in and user packs narrowed by ``--only`` / ``--skip`` /
    ``--severity``, on first use. The rule files are read at once and checked in a forked process
    while the inputs load (see PendingRules): the first use is then, for a plan, after it is loaded;
    for Terraform roots and templates, when they are first analysed or before workers that analyse
    them are forked."""

    def __init__(self, options: ScanOptions, builtin_check: BuiltinCheck | None = None) -> None:
        from .rules.loader import PendingRules

        self.options = options
        self.pending = PendingRules(options.policies, cache_dir=options.load.cache_dir, background=True,
                                    builtin_check=builtin_check)
        self._selected: list[Rule] | None = None

    def selected(self) -> list[Rule]:
        if self._selected is None:
            from .rules import select_rules

            self._selected = select_rules(self.pending.result()[0], only=self.options.only,
                                          skip=self.options.skip, min_severity=self.options.min_severity)
        return self._selected

    def errors(self) -> list[RuleError]:
        return self.pending.result()[1]

    def close(self) -> None:
        self.pending.close()


def _stack_cache(options: ScanOptions, rules: ScanRules) -> StackCache | None:
    """Reuse of unchanged stacks' findings, where the parse cache is on (``--no-cache`` turns both off)."""
    if not options.load.cache_dir:
        return None
    from .stack_cache import StackCache

    return StackCache(options.load.cache_dir, lambda: [[(r.id, r.file, r.builtin, r.data) for r in rules.selected()],
                                                       options.rule_params,
                                                       [dataclasses.asdict(b) for b in options.account_blocks]])


@dataclass
class AnalysedStacks:
    findings: list[Finding] = field(default_factory=list)
    models: list[tuple[Model, list[Subject]]] = field(default_factory=list)  # each stack's model and subjects
    errors: list[InputError] = field(default_factory=list)
    # id of a bucket subject (in models) -> its findings, which a bucket the plan leaves alone has before it too
    bucket_findings: dict[int, list[Finding]] = field(default_factory=dict)

    @property
    def subjects(self) -> list[Subject]:
        return [subject for _, subjects in self.models for subject in subjects]


def stack_findings(resources: list[RawResource], account_blocks: list[AccountPublicAccessBlock],
                   rules: list[Rule], rule_params: dict[str, dict[str, object]],
                   plan_worker: PlanWorker | None = None) -> AnalysedStacks:
    """model -> analyse -> rules, one stack at a time: what one stack declares (a bucket an instance
    role can reach, a variable holding a key, a module call) never stands in for another's.
    ``plan_worker`` is started with every stack's model before any is analysed."""
    from .rules import evaluate_each

    out = AnalysedStacks()
    models = [build_model(members) for members in by_stack(resources)]
    if plan_worker is not None:
        plan_worker.start(models)
    for model in models:
        try:
            subjects = analyse(model, account_blocks,
                               credentials=plan_worker.credentials if plan_worker is not None else None)
            each = evaluate_each(rules, subjects, rule_params)
        except RecursionError:  # fail closed, naming the stack; the other stacks are still analysed
            out.errors.extend([too_deep_to_analyse(model), *model.errors, *unlinked_errors(model)])
            continue
        found = [finding for findings in each for finding in findings]
        _declared_by(found, subjects)
        out.findings.extend(found)
        out.models.append((model, subjects))
        if plan_worker is not None:  # for the prior state (PlanWorker.prior_findings)
            out.bucket_findings.update((id(subject), findings) for subject, findings in zip(subjects, each)
                                       if subject.kind == "s3_bucket")
        out.errors.extend(model.errors + unlinked_errors(model))
    return out


# Below this many resources that existed before, the plan's side work costs less here than a fork.
PLAN_WORKER_MIN_RESOURCES = 500
# Above this many, it is done here too: the worker's pages of the parent's memory are copied as it
# reads the models (CPython writes reference counts), which took a 50k-change plan from 3.7x to 5.5x
# its size in memory (both processes' PSS).
PLAN_WORKER_MAX_RESOURCES = 15000


class PlanWorker:
    """Two parts of the plans' analysis need only the planned models: the credential scan of the
    planned resources, and the prior state's own part (see prior_state). For plans with enough
    resources that existed before, and where there are cores for it, a forked process does both (in
    that order: the credentials are needed first) while the rest of the planned state is analysed
    here; otherwise they are done here. Work a failed worker did not send back is done here: the
    result is the same either way."""

    def __init__(self, options: ScanOptions, rules: list[Rule]) -> None:
        from .analysis.credentials import ResourceScans

        self.options, self.rules = options, rules
        self.models: list[Model] = []
        self.job: ForkedCall | None = None
        self.found_credentials: dict[int, list[CredentialHit]] | None = None
        # what the credential scan found per resource, shared by the planned and the prior state (in
        # whichever process scans them)
        self.scans = ResourceScans()

    def start(self, models: list[Model]) -> None:
        """Called with the planned models before they are analysed."""
        from . import workers

        self.models = models
        existed = sum(1 for model in models for r in model.raw
                      if r.source_kind == "plan" and isinstance(r.before, dict))
        if not PLAN_WORKER_MIN_RESOURCES <= existed <= PLAN_WORKER_MAX_RESOURCES \
                or workers.wanted(self.options.load.parse_workers) < 2 or not workers.can_fork():
            return
        self.job = workers.ForkedCall(lambda: _credentials_in_worker(self), lambda: _prior_parts_in_worker(self))

    def credentials(self, model: Model) -> list[CredentialHit]:
        """The credentials written in the model's resources (``find_credentials``)."""
        from .analysis.credentials import CredentialHit, find_credentials

        if self.found_credentials is None:
            self.found_credentials = {}
            for sent, planned in zip(self._worker_result(0) or [], self.models):
                self.found_credentials[id(planned)] = [CredentialHit(holder=planned.raw[index], **fields)
                                                       for index, fields in sent]
        found = self.found_credentials.get(id(model))
        return found if found is not None else find_credentials(model.raw, self.scans)

    def _prior_credentials(self, prior: Model) -> list[CredentialHit]:
        from .analysis.credentials import find_credentials

        return find_credentials(prior.raw, self.scans)

    def _analyse_prior(self, prior: Model, buckets: list[Bucket]) -> list[Subject]:
        return analyse(prior, self.options.account_blocks, buckets, credentials=self._prior_credentials)

    def _evaluate(self, subjects: list[Subject]) -> list[Finding]:
        from .rules import evaluate

        return evaluate(self.rules, subjects, self.options.rule_params)

    def _part(self, model: Model) -> PriorPart:
        from .prior_state import prior_part

        return prior_part(model.raw, model, build_model, self._analyse_prior, self._evaluate)

    def prior_findings(self, stacks: AnalysedStacks) -> list[Finding | FindingStatus]:
        """The findings over the prior state of every plan among the stacks (see prior_state)."""
        from .prior_state import prior_findings

        parts = {id(model): part for model, part in zip(self.models, self._worker_result(1) or [])}

        def planned_findings(subjects: list[Subject]) -> list[Finding]:
            return [finding for subject in subjects for finding in stacks.bucket_findings[id(subject)]]

        out: list[Finding | FindingStatus] = []
        for model, subjects in stacks.models:
            part = parts.get(id(model))
            try:
                out.extend(prior_findings(model.raw, model, subjects, build_model, self._analyse_prior,
                                          self._evaluate, part if part is not None else self._part(model),
                                          planned_findings))
            except RecursionError:  # no prior state to compare with: every finding of it counts as new
                continue
        return out

    def _worker_result(self, index: int) -> list | None:  # type: ignore[type-arg]
        """The worker's value of step ``index``; None when there is no worker, or it failed or died
        first (that work is then done here)."""
        from .workers import ForkedCallFailed

        if self.job is None:
            return None
        try:
            return self.job.result(index)
        except ForkedCallFailed:
            return None

    def close(self) -> None:
        """End the worker, its work done or not (a run that stops early, on an error or an
        interrupt, must not leave it behind holding the output streams open), and let go of the
        models."""
        from .analysis.credentials import ResourceScans

        job, self.job = self.job, None
        self.models, self.found_credentials, self.scans = [], None, ResourceScans()
        if job is not None:
            job.close()


def _credentials_in_worker(job: PlanWorker) -> list[list[tuple[int, dict[str, object]]]]:
    """In the worker: each planned model's credential hits, their holders sent as indexes into the
    model's resources (the parent holds the same list)."""
    from .analysis.credentials import find_credentials

    out = []
    for model in job.models:
        index = {id(resource): i for i, resource in enumerate(model.raw)}
        out.append([(index[id(hit.holder)], {f.name: getattr(hit, f.name) for f in dataclasses.fields(hit)
                                             if f.name != "holder"})
                    for hit in find_credentials(model.raw, job.scans)])
    return out


def _prior_parts_in_worker(job: PlanWorker) -> list[PriorPart]:
    """In the worker: each planned model's prior part, its findings cut down to what is sent back."""
    from .gate import FindingStatus

    parts = []
    for model in job.models:
        part = job._part(model)
        part.findings = [FindingStatus(f.rule_id, f.address, f.status) for f in part.findings]
        parts.append(part)
    return parts


def analysed_origin(origin: StackOrigin, options: ScanOptions, rules: Callable[[], list[Rule]]) -> StackFindings:
    """One stack the loader could state the making of, through model, analysis and rules (here, or in
    the loader's worker that evaluated it)."""
    from .stack_cache import StackFindings
    from .suppressions import meta_by_subject

    analysed = stack_findings(origin.resources, options.account_blocks, rules(), options.rule_params)
    return StackFindings(analysed.findings, meta_by_subject(analysed.subjects), origin.errors,
                         analysed.errors, origin.files, sum(1 for r in origin.resources if r.mode == "managed"))


def _origin_findings(loaded: LoadResult, options: ScanOptions, rules: list[Rule],
                     cache: StackCache | None) -> list[tuple[StackOrigin, StackFindings]]:
    """Each stack the loader could state the making of, with its findings: taken from the cache,
    analysed by the loader's worker, or analysed here; stored for the next run."""
    out = []
    for origin in loaded.stacks:
        found = origin.analysed if origin.analysed is not None else analysed_origin(origin, options, lambda: rules)
        if cache is not None and not origin.reused:
            cache.put(origin.key, origin.reads, found)
        out.append((origin, found))
    return out


def _gate_loaded(loaded: LoadResult, options: ScanOptions, ignore_entries: list,  # type: ignore[type-arg]
                 baseline: Baseline | None, rules: list[Rule], rule_errors: list[RuleError],
                 cache: StackCache | None, keep_alive: list[object] | None = None) -> ScanReport:
    from .baseline import apply_baseline
    from .gate import GateOptions, apply_gate, classify_changes
    from .suppressions import apply_suppressions, meta_by_subject

    by_origin = _origin_findings(loaded, options, rules, cache)
    in_origins = {id(r) for origin in loaded.stacks for r in origin.resources}
    rest = [r for r in loaded.resources if id(r) not in in_origins] if in_origins else loaded.resources
    has_plan = any(r.source_kind == "plan" for r in loaded.resources)
    plan_worker = PlanWorker(options, rules) if has_plan else None
    try:
        analysed = stack_findings(rest, options.account_blocks, rules, options.rule_params, plan_worker=plan_worker)
        if keep_alive is not None:
            keep_alive.append(analysed)
        findings, subjects, analysis_errors = analysed.findings, analysed.subjects, analysed.errors
        subjects_meta = meta_by_subject(subjects)
        files, resources = list(loaded.files), sum(1 for r in rest if r.mode == "managed")
        load_errors = list(loaded.errors)
        for origin, found in by_origin:
            findings.extend(found.findings)
            subjects_meta.update(found.subject_meta)
            analysis_errors.extend(found.analysis_errors)
            resources += found.resources
            if origin.reused:  # its files and load errors are not in the load result
                files.extend(found.files)
                load_errors.extend(found.load_errors)
        source_warnings: list[InputError] = []
        source_root = options.source_root or implied_source_root(loaded.resources)
        if source_root:
            from .source_map import map_findings, with_inline_ignores

            findings, source_map = map_findings(findings, loaded.resources, source_root)
            subjects_meta = with_inline_ignores(subjects_meta, findings, source_map)
            # An implied root that declares only part of the plan is not a mistake of the user's.
            source_warnings = source_map.warnings if options.source_root else []
            findings = without_configuration_twins(findings)
        findings, suppression_warnings = apply_suppressions(findings, subjects_meta, ignore_entries,
                                                            options.today or dt.date.today())
        if baseline is not None:
            findings = apply_baseline(findings, baseline)

        changes = None
        if plan_worker is not None:  # a plan of creations alone has no prior state
            findings, changes = classify_changes(findings, plan_worker.prior_findings(analysed))

        # in file and line order: the same whichever stacks came from the cache
        input_errors = sorted(distinct_errors(load_errors + analysis_errors),
                              key=lambda e: (e.file, e.line or 0, e.kind, e.message))
        errors = (input_errors + source_warnings + suppression_warnings
                  + [InputError(e.file, f"{e.pointer or '/'}: {e.message}", kind=e.kind) for e in rule_errors])
        return apply_gate(findings, errors, GateOptions(fail_on=options.fail_on, unknown=options.unknown,
                                                        new_only=options.new_only),
                          files=list(dict.fromkeys(files)), resources=resources, tool_version=__version__,
                          changes=changes)
    finally:
        if plan_worker is not None:
            plan_worker.close()  # also when the run stops early: no worker outlives it
