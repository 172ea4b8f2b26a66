"""Evaluate rules over subjects and turn violations into findings.

Per rule and subject the result is pass, fail (the condition holds) or unknown (it may hold: a fact
it depends on is known only after apply or could not be evaluated). Fail and unknown both become a
:class:`~iacgate.findings.Finding`; whether one blocks is decided later by the gate.
"""
from __future__ import annotations

import fnmatch
from typing import Any, Iterable, Mapping

from ..findings import Evidence, Finding, Subject, severity_rank
from ..redact import scrub
from ..values import Source
from .conditions import Truth, Used, check_param_value
from .loader import Rule, RuleError, load_rules

__all__ = ["evaluate", "evaluate_one", "select_rules", "unmatched_selectors", "rule_params",
           "check_params", "parse_param_overrides", "load_rules", "Rule", "RuleError"]
from .template import render_reason, render_value

Params = Mapping[str, Mapping[str, Any]]
ALL_RULES = "*"


# ---------------------------------------------------------------------------------------------
# Selection and parameters


def _selected(rule: Rule, selectors: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(rule.id, s) or s == rule.concept for s in selectors)


def select_rules(rules: list[Rule], only: Iterable[str] = (), skip: Iterable[str] = (),
                 min_severity: str | None = None) -> list[Rule]:
    """The rules to run.

    ``only`` and ``skip`` hold rule ids, glob patterns over ids (``IG-S3-*``) or concept names.
    With ``only``, just the matching rules run, including ones shipped with ``enabled: false``;
    without it, every enabled rule runs. ``min_severity`` keeps the rules that can reach it (their
    base severity or an escalation); the report filters findings by severity."""
    only = list(only)
    skip = list(skip)
    threshold = None if min_severity is None else severity_rank(min_severity)
    chosen = []
    for rule in rules:
        if only and not _selected(rule, only):
            continue
        if not only and not rule.enabled:
            continue
        if skip and _selected(rule, skip):
            continue
        if threshold is not None and severity_rank(rule.max_severity) > threshold:
            continue
        chosen.append(rule)
    return chosen


def unmatched_selectors(rules: list[Rule], selectors: Iterable[str]) -> list[str]:
    """The selectors (for ``--only`` / ``--skip``) that name no rule: likely typos."""
    return [s for s in selectors if not any(_selected(rule, [s]) for rule in rules)]


def rule_params(rule: Rule, params: Params | None) -> dict[str, Any]:
    """A rule's parameter values: its defaults, then ``params["*"]``, then ``params[rule.id]``.
    Names the rule does not declare are ignored (see :func:`check_params`)."""
    values = dict(rule.parameters)
    if params:
        for scope in (ALL_RULES, rule.id):
            for name, value in (params.get(scope) or {}).items():
                if name in values:
                    values[name] = value
    return values


def check_params(rules: list[Rule], params: Params | None) -> list[str]:
    """Problems with parameter overrides: unknown rules or names, values that do not fit."""
    if not params:
        return []
    problems: list[str] = []
    by_id = {rule.id: rule for rule in rules}
    declared_anywhere = {name for rule in rules for name in rule.parameters}
    for scope, values in params.items():
        if scope != ALL_RULES and scope not in by_id:
            problems.append(f"parameter override for unknown rule '{scope}'")
            continue
        for name, value in (values or {}).items():
            targets = rules if scope == ALL_RULES else [by_id[scope]]
            if name not in (declared_anywhere if scope == ALL_RULES else by_id[scope].parameters):
                problems.append(f"{scope}: no parameter named '{name}'")
                continue
            for rule in targets:
                conditions = [rule.condition, *(e.when for e in rule.escalate),
                              *(c.when for c in rule.message_cases)]
                for cond in conditions:
                    for _, op, ref in cond.param_refs():
                        problem = check_param_value(op, value) if ref == name else None
                        if problem:
                            problems.append(f"{rule.id}: parameter '{name}': {problem}")
    return list(dict.fromkeys(problems))


def parse_param_overrides(items: Iterable[str]) -> dict[str, dict[str, Any]]:
    """``RULE_ID.NAME=VALUE`` or ``NAME=VALUE`` (every rule declaring NAME) as evaluation params.
    VALUE is read as YAML (``8``, ``true``, ``[a, b]``); raises ValueError on a malformed item."""
    items = list(items)
    if not items:
        return {}
    import yaml

    params: dict[str, dict[str, Any]] = {}
    for item in items:

        target, sep, text = item.partition("=")
        if not sep or not target.strip():
            raise ValueError(f"parameter override '{item}' is not NAME=VALUE or RULE.NAME=VALUE")
        scope, dot, name = target.strip().rpartition(".")
        scope = scope if dot else ALL_RULES
        try:
            value = yaml.safe_load(text) if text.strip() else ""
        except yaml.YAMLError:
            value = text
        params.setdefault(scope, {})[name] = value
    return params


# ---------------------------------------------------------------------------------------------
# Evaluation


def evaluate(rules: list[Rule], subjects: Iterable[Subject],
             params: Params | None = None) -> list[Finding]:
    """Every fail and unknown of every rule over the subjects of its kind, in subject order.

    ``params`` maps a rule id (or ``"*"`` for every rule declaring the name) to parameter
    values that replace the rule's defaults."""
    return [finding for found in evaluate_each(rules, subjects, params) for finding in found]


def evaluate_each(rules: list[Rule], subjects: Iterable[Subject],
                  params: Params | None = None) -> list[list[Finding]]:
    """The findings of :func:`evaluate`, one list per subject."""
    by_kind: dict[str, list[tuple[Rule, dict[str, Any]]]] = {}
    for rule in rules:
        by_kind.setdefault(rule.resource, []).append((rule, rule_params(rule, params)))
    out: list[list[Finding]] = []
    for subject in subjects:
        findings: list[Finding] = []
        for rule, values in by_kind.get(subject.kind, ()):
            try:
                finding = evaluate_one(rule, subject, values)
            except Exception as exc:  # fail closed: a rule that breaks is reported, not skipped
                finding = _broken(rule, subject, exc)
            if finding is not None:
                findings.append(finding)
        out.append(findings)
    return out


def evaluate_one(rule: Rule, subject: Subject, params: Mapping[str, Any]) -> Finding | None:
    facts = subject.facts
    if rule.condition.truth(facts, params) is Truth.FALSE:
        return None
    truth, used = rule.condition.explain(facts, params)
    severity = rule.severity
    if truth is Truth.TRUE:
        status = "fail"
        for escalation in rule.escalate:
            when, extra = escalation.when.explain(facts, params)
            if when is Truth.TRUE:
                severity = escalation.severity
                used = used + extra
                break
        template = rule.message
        for case in rule.message_cases:
            if case.when.truth(facts, params) is Truth.TRUE:
                template = case.message
                break
        message = template.render(subject, params)
    else:
        status = "unknown"
        blind = describe_unknown(used)
        if rule.unknown_message is not None:
            message = rule.unknown_message.render(subject, params, {"unknown": blind})
        else:
            message = f"{rule.title}: cannot be decided for {subject.address} because {blind}"
    return Finding(
        rule_id=rule.id, concept=rule.concept, severity=severity, status=status,
        title=rule.title, message=scrub(message), address=subject.address,
        resource_type=subject.resource_type, source_kind=subject.source_kind,
        location=subject.source, evidence=collect_evidence(subject, used),
        what=describe_what(rule, status, used), remediation=dict(rule.remediation),
        references=list(rule.references), change=_change(rule, subject, params, truth),
    )


def describe_unknown(used: Iterable[Used]) -> str:
    """What the gate could not see and why, e.g. ``policy.any_principal is unknown: policy is
    computed from module.x output, known only after apply``."""
    parts = []
    for u in used:
        if u.truth is not Truth.UNKNOWN:
            continue
        if u.note:
            parts.append(u.note)
        else:
            parts.append(f"{u.path} is {u.value.state.value}: {render_reason(u.value)}")
    return scrub("; ".join(dict.fromkeys(parts)) or "the result could not be decided")


def describe_what(rule: Rule, status: str, used: Iterable[Used]) -> str:
    """What is wrong, stably: the rule id and the decisive facts with their values."""
    facts = sorted({f"{u.path}={'?' if u.truth is Truth.UNKNOWN else render_value(u.value)}"
                    for u in used})
    return scrub(" ".join([rule.id, status, *facts]))


def _own(source: Source, subject: Subject) -> bool:
    own = subject.source
    if source.address is not None:
        return source.address == subject.address
    if source.file != own.file:
        return False
    if source.line is None or own.line is None:
        return (source.line, source.end_line) == (own.line, own.end_line)
    end = own.end_line if own.end_line is not None else own.line
    return own.line <= source.line <= end


def collect_evidence(subject: Subject, used: Iterable[Used]) -> list[Evidence]:
    """The sources of the decisive facts, one entry per place (details merged), without the
    subject's own resource."""
    details: dict[tuple[Any, ...], list[str]] = {}
    for u in used:
        shown = "unknown" if u.truth is Truth.UNKNOWN else render_value(u.value)
        for source in u.value.sources:
            if _own(source, subject):
                continue
            key = (source.address, source.file, source.line, source.end_line)
            detail = f"{u.path} = {scrub(shown)}"
            if source.attribute:
                detail += f" ({source.attribute})"
            entries = details.setdefault(key, [])
            if detail not in entries:
                entries.append(detail)
    return [Evidence(address, file, line, end_line, "; ".join(entries))
            for (address, file, line, end_line), entries in details.items()]


def _change(rule: Rule, subject: Subject, params: Mapping[str, Any], truth: Truth) -> str | None:
    """Plans only: "existing" when the prior state already had the same result, else "new"."""
    if not subject.actions:
        return None
    if subject.before_facts is not None:
        before = rule.condition.truth(subject.before_facts, params)
        return "existing" if before is truth else "new"
    if set(subject.actions) <= {"no-op", "read"}:
        return "existing"
    return "new"


def _broken(rule: Rule, subject: Subject, exc: Exception) -> Finding:
    return Finding(
        rule_id=rule.id, concept=rule.concept, severity=rule.severity, status="unknown",
        title=rule.title,
        message=scrub(f"{rule.title}: rule {rule.id} could not be evaluated for "
                      f"{subject.address}: {type(exc).__name__}: {exc}"),
        address=subject.address, resource_type=subject.resource_type,
        source_kind=subject.source_kind, location=subject.source,
        what=f"{rule.id} error", remediation=dict(rule.remediation),
        references=list(rule.references),
    )
