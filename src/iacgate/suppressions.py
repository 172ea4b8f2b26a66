"""Suppressions: accepted findings, each with a reason and optionally an expiry date.

Three sources, tried in this order for each finding:

- inline Terraform comments, which the loader hands over as ``meta["ignore"]``
  (``[{"rule": "IG-S3-001", "reason": "...", "until": "2027-03-31", "line": 4}]``);
- CloudFormation resource Metadata, ``meta["metadata"]["iacgate"]["ignore"]``
  (``[{"id": "IG-S3-001", "reason": "...", "until": "2027-03-31"}]``);
- an ignore file (``.iacgate-ignore.yaml``), which also works for plans, where comments are gone::

      ignore:
        - rule: IG-S3-001                # or a glob: IG-S3-*
          resource: aws_s3_bucket.site   # a glob over addresses; "aws_s3_bucket.b" covers b[0], b["k"]
          reason: public website, reviewed by security
          until: 2027-03-31              # optional

A suppression without a reason, with an unreadable date, or past its ``until`` date does not
suppress; it produces a warning.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from .findings import Finding, Suppression
from .raw import InputError
from .redact import scrub

IGNORE_FILE_NAME = ".iacgate-ignore.yaml"
ORIGIN_INLINE = "inline"
ORIGIN_CFN = "cloudformation-metadata"
_INSTANCE_KEY = re.compile(r'\[(?:"(?:[^"\\]|\\.)*"|[0-9]+)\]')


class IgnoreFileError(ValueError):
    """The ignore file cannot be read or has the wrong shape (a usage error)."""


@dataclass(frozen=True, slots=True, eq=False)
class IgnoreRule:
    """One suppression as written, before it is checked."""

    rule: str  # rule id or glob
    address: str  # address or glob ("*" for every resource)
    reason: str | None
    until: Any  # str, date or None as written
    origin: str
    file: str
    line: int | None = None


def _glob(pattern: str) -> re.Pattern[str]:
    """``*`` and ``?`` are wildcards; everything else (brackets, quotes, dots) is literal."""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern))


def address_matches(pattern: str, address: str) -> bool:
    """The glob matches the address, or the address without its count/for_each keys."""
    regex = _glob(pattern)
    return bool(regex.fullmatch(address) or regex.fullmatch(_INSTANCE_KEY.sub("", address)))


def rule_matches(pattern: str, rule_id: str) -> bool:
    return bool(_glob(pattern).fullmatch(rule_id))


def _parse_until(until: Any) -> dt.date | None:
    if isinstance(until, dt.datetime):
        return until.date()
    if isinstance(until, dt.date):
        return until
    return dt.date.fromisoformat(str(until).strip())


def check(rule: IgnoreRule, today: dt.date) -> str | None:
    """None when the suppression is usable; otherwise the warning to report."""
    where = f"suppression of {rule.rule} for {rule.address} ({rule.origin})"
    if not isinstance(rule.reason, str) or not rule.reason.strip():
        return f"{where} has no reason and is not applied; add reason=\"why this is accepted\""
    if rule.until in (None, ""):
        return None
    try:
        until = _parse_until(rule.until)
    except (TypeError, ValueError):
        return f"{where} has an unreadable until date {str(rule.until)!r} (expected YYYY-MM-DD) and is not applied"
    if until is not None and until < today:
        return f"{where} expired on {until.isoformat()} and no longer applies"
    return None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def rules_from_meta(address: str, meta: Mapping[str, Any], file: str) -> list[IgnoreRule]:
    """The suppressions a resource declares: inline comments and CloudFormation Metadata."""
    found = []
    for item in _as_list(meta.get("ignore")):
        if isinstance(item, Mapping):
            found.append(IgnoreRule(str(item.get("rule") or item.get("id") or ""), address,
                                    item.get("reason"), item.get("until"), ORIGIN_INLINE, file,
                                    item.get("line") if isinstance(item.get("line"), int) else None))
    metadata = meta.get("metadata")
    section = metadata.get("iacgate") if isinstance(metadata, Mapping) else None
    entries = section.get("ignore") if isinstance(section, Mapping) else None
    for item in _as_list(entries):
        if isinstance(item, Mapping):
            found.append(IgnoreRule(str(item.get("id") or item.get("rule") or ""), address,
                                    item.get("reason"), item.get("until"), ORIGIN_CFN, file))
        elif isinstance(item, str):  # a bare rule id: no reason, reported as such
            found.append(IgnoreRule(item, address, None, None, ORIGIN_CFN, file))
    return found


def load_ignore_file(path: str | Path) -> list[IgnoreRule]:
    """Read an ignore file. Raises :class:`IgnoreFileError` naming what is wrong."""
    import yaml  # imported here: only runs that use an ignore file pay for it

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise IgnoreFileError(f"{path}: cannot read the ignore file: {exc}") from exc
    except yaml.YAMLError as exc:
        raise IgnoreFileError(f"{path}: not valid YAML: {scrub(str(exc))}") from exc
    if data is None:
        return []
    entries = data.get("ignore") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise IgnoreFileError(f"{path}: expected a mapping with an 'ignore' list of "
                              "{rule, resource, reason, until} entries")
    rules = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("rule"), str):
            raise IgnoreFileError(f"{path}: ignore[{i}]: each entry needs a 'rule' (a rule id or glob)")
        resource = entry.get("resource", entry.get("address", "*"))
        if not isinstance(resource, str):
            raise IgnoreFileError(f"{path}: ignore[{i}]: 'resource' must be an address or glob")
        unknown = set(entry) - {"rule", "resource", "address", "reason", "until"}
        if unknown:
            raise IgnoreFileError(f"{path}: ignore[{i}]: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
        rules.append(IgnoreRule(entry["rule"], resource, entry.get("reason"), entry.get("until"),
                                path.name, str(path)))
    return rules


def discover_ignore_file(cwd: str | Path) -> Path | None:
    candidate = Path(cwd) / IGNORE_FILE_NAME
    return candidate if candidate.is_file() else None


SubjectKey = tuple[str, str]  # (address, the file the subject is declared in)


def meta_by_subject(subjects: Iterable[Any]) -> dict[SubjectKey, dict[str, Any]]:
    """``{(address, file): meta}`` from model subjects, with the subject's file for warnings. An address
    alone names different resources in different stacks (two root modules may both declare
    ``aws_s3_bucket.data``): a suppression written on one never applies to the other."""
    return {(s.address, s.source.file): {**s.meta, "file": s.meta.get("file") or s.source.file}
            for s in subjects}


def _to_suppression(rule: IgnoreRule, rule_id: str) -> Suppression:
    until = rule.until.isoformat() if isinstance(rule.until, (dt.date, dt.datetime)) else rule.until
    return Suppression(rule_id, str(rule.reason).strip(), str(until) if until else None, rule.origin)


def apply_suppressions(findings: Sequence[Finding], subjects_meta: Mapping[SubjectKey, Mapping[str, Any]],
                       ignore_file_entries: Iterable[IgnoreRule], today: dt.date
                       ) -> tuple[list[Finding], list[InputError]]:
    """Copies of the findings with ``suppression`` set where a valid suppression matches, and a
    warning for each suppression that is not valid (missing reason, bad date, expired). Inline and
    metadata suppressions (``subjects_meta``) apply to the findings of their own subject: the same
    address in the file the finding is located in."""
    file_rules = list(ignore_file_entries)
    declared: dict[SubjectKey, list[IgnoreRule]] = {}
    for (address, file), meta in subjects_meta.items():
        declared[(address, file)] = rules_from_meta(address, meta, str(meta.get("file") or file or address))

    warnings: list[InputError] = []
    usable: dict[IgnoreRule, bool] = {}  # keyed by identity (eq=False)
    for rule in [r for rs in declared.values() for r in rs] + file_rules:
        problem = check(rule, today)
        usable[rule] = problem is None
        if problem is not None:
            warnings.append(InputError(rule.file, scrub(problem), rule.line, kind="warning"))

    out = []
    for finding in findings:
        if finding.suppression is None:
            candidates = [r for r in declared.get((finding.address, finding.location.file), [])
                          if rule_matches(r.rule, finding.rule_id)]
            candidates += [r for r in file_rules if rule_matches(r.rule, finding.rule_id)
                           and address_matches(r.address, finding.address)]
            match = next((r for r in candidates if usable[r]), None)
            if match is not None:
                finding = dataclasses.replace(finding, suppression=_to_suppression(match, finding.rule_id))
        out.append(finding)
    return out, warnings
