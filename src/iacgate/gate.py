"""The gate: which findings block, the run's decision (pass / fail / error) and why."""
from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable, NamedTuple, Sequence

from . import __version__
from .findings import SEVERITIES, Finding, ScanReport, Suppression, severity_rank
from .raw import InputError
from .redact import scrub
from .report.common import display_path, plural

UNKNOWN_MODES: tuple[str, ...] = ("auto", "fail", "warn", "pass")
UNKNOWN_PASS_ORIGIN = "--unknown pass"
_AUTO_UNKNOWN_FLOOR = "high"  # --unknown auto blocks unknowns of this severity and above
# Reasons a finding does not block, besides "below threshold", in the order the summary names them.
_OTHER_REASONS = ("unknown below high", "unknown (--unknown warn)", "unknown (--unknown pass)",
                  "existing", "suppressed", "baselined")


@dataclass(frozen=True, slots=True)
class GateOptions:
    fail_on: str = "high"
    unknown: str = "auto"
    new_only: bool = False

    def __post_init__(self) -> None:
        if self.fail_on not in SEVERITIES:
            raise ValueError(f"fail_on must be one of {', '.join(SEVERITIES)}, not {self.fail_on!r}")
        if self.unknown not in UNKNOWN_MODES:
            raise ValueError(f"unknown must be one of {', '.join(UNKNOWN_MODES)}, not {self.unknown!r}")


def at_or_above(severity: str, threshold: str) -> bool:
    return severity_rank(severity) <= severity_rank(threshold)


def non_blocking_reason(finding: Finding, options: GateOptions) -> str | None:
    """None when the finding blocks; otherwise why it does not (a short label for the summary)."""
    if finding.suppression is not None:
        origin = finding.suppression.origin
        if origin == UNKNOWN_PASS_ORIGIN:
            return "unknown (--unknown pass)"
        return "baselined" if origin == "baseline" else "suppressed"
    if options.new_only and finding.change == "existing":
        return "existing"
    if finding.status == "unknown":
        if options.unknown in ("warn", "pass"):
            return f"unknown (--unknown {options.unknown})"
        if options.unknown == "auto" and not at_or_above(finding.severity, _AUTO_UNKNOWN_FLOOR):
            return "unknown below high"
    if not at_or_above(finding.severity, options.fail_on):
        return "below threshold"
    return None


def is_blocking(finding: Finding, options: GateOptions) -> bool:
    """Not suppressed, status fail (or an unknown the unknown mode blocks), severity at or above
    ``fail_on``; with ``new_only`` a finding the change did not create never blocks.

    A finding whose change is not known (``change is None``: not a plan, or not classified) is
    treated as new under ``new_only``: the gate does not assume it was already there."""
    return non_blocking_reason(finding, options) is None


def _mark_unknown_pass(finding: Finding, options: GateOptions) -> Finding:
    if options.unknown != "pass" or finding.status != "unknown" or finding.suppression is not None:
        return finding
    note = Suppression(finding.rule_id, "the value is not known before apply; accepted with --unknown pass",
                       None, UNKNOWN_PASS_ORIGIN)
    return dataclasses.replace(finding, suppression=note)


def gate_findings(findings: Iterable[Finding], options: GateOptions) -> list[Finding]:
    """Copies of the findings with ``blocking`` set (and unknowns marked under ``--unknown pass``)."""
    out = []
    for finding in findings:
        blocking = is_blocking(finding, options)
        out.append(_mark_unknown_pass(finding, options).copy_with(blocking=blocking))
    return out


def _error_kind(error: Any) -> str:
    return getattr(error, "kind", "error")


def _error_place(error: Any) -> str:
    file = display_path(getattr(error, "file", None)) or "<input>"
    line = getattr(error, "line", None)
    return f"{file}:{line}" if line is not None else file


def _severity_counts(findings: Sequence[Finding]) -> str:
    counts = Counter(f.severity for f in findings)
    return ", ".join(f"{counts[s]} {s}" for s in SEVERITIES if counts[s])


def summary_line(findings: Sequence[Finding], errors: Sequence[Any], options: GateOptions) -> str:
    """One line that says why the run passed, failed or errored."""
    blocking = [f for f in findings if f.blocking]
    reasons = Counter(r for f in findings if (r := non_blocking_reason(f, options)) is not None)
    hard_errors = [e for e in errors if _error_kind(e) == "error"]
    warnings = len(errors) - len(hard_errors)
    threshold = options.fail_on
    below = reasons.get("below threshold", 0)
    others = [f"{reasons[r]} {r}" for r in _OTHER_REASONS if reasons.get(r)]
    if warnings:
        others.append(plural(warnings, "input warning"))

    if blocking:
        verdict = (f"{plural(len(blocking), 'blocking finding')} ({_severity_counts(blocking)}) "
                   f"at or above {threshold}")
        if options.new_only and all(f.change is not None for f in blocking):
            verdict += " introduced by the change"
        verdict = "; ".join([verdict] + ([f"{below} below threshold"] if below else []) + others)
    else:
        unblocked_at_threshold = any(at_or_above(f.severity, threshold) for f in findings)
        head = (f"no blocking findings at or above {threshold}" if unblocked_at_threshold
                else f"no findings at or above {threshold}")
        below_label = "below threshold" if others else "below"
        parts = ([f"{below} {below_label}"] if below else []) + others
        verdict = head + (f" ({', '.join(parts)})" if parts else "")

    if hard_errors:
        places = ", ".join(_error_place(e) for e in hard_errors[:3])
        more = f" and {len(hard_errors) - 3} more" if len(hard_errors) > 3 else ""
        noun = "input could not be read" if len(hard_errors) == 1 else "inputs could not be read"
        line = f"ERROR: {len(hard_errors)} {noun}: {places}{more}"
        if blocking or findings:
            line += f"; also {verdict}"
        return scrub(line)
    return scrub(("FAIL: " if blocking else "PASS: ") + verdict)


def new_only_warnings(findings: Sequence[Finding], options: GateOptions) -> list[InputError]:
    """``--new-only`` compares a plan with its prior state; findings from Terraform or
    CloudFormation files have none (their ``change`` is unknown), so they are gated as new, and the
    run says so."""
    outside = [f for f in findings if f.change is None]
    if not options.new_only or not outside:
        return []
    files = sorted({f.location.file for f in outside if f.location.file})
    return [InputError(files[0] if files else "<input>",
                       f"--new-only applies to plans (terraform show -json): {plural(len(outside), 'finding')} "
                       "from Terraform or CloudFormation files have no prior state to compare with and are "
                       "gated as new; use --baseline to accept what a folder already has", kind="warning")]


def decide(findings: Sequence[Finding], errors: Sequence[Any]) -> str:
    if any(_error_kind(e) == "error" for e in errors):
        return "error"
    return "fail" if any(f.blocking for f in findings) else "pass"


def apply_gate(findings: Iterable[Finding], errors: Iterable[Any], options: GateOptions, *,
               files: Iterable[str] = (), resources: int = 0, tool_version: str = __version__,
               changes: dict[str, int] | None = None) -> ScanReport:
    """Decide the run: blocking flags, decision and the summary line, as a :class:`ScanReport`."""
    gated = gate_findings(findings, options)
    error_list = list(errors) + new_only_warnings(gated, options)
    return ScanReport(
        findings=gated, errors=error_list, files=list(files), resources=resources,
        decision=decide(gated, error_list), summary_line=summary_line(gated, error_list, options),
        tool_version=tool_version, changes=changes)


class FindingStatus(NamedTuple):
    """A finding as far as telling new from existing needs it (what a worker sends back of the prior
    state's findings)."""

    rule_id: str
    address: str
    status: str


def _change_key(finding: Finding | FindingStatus) -> tuple[str, str]:
    return finding.rule_id, finding.address


def classify_changes(after_findings: Iterable[Finding], before_findings: Iterable[Finding | FindingStatus],
                     actions_by_address: dict[str, tuple[str, ...]] | None = None
                     ) -> tuple[list[Finding], dict[str, int]]:
    """Mark each finding over the planned state ``new`` or ``existing`` and count them.

    A finding is ``existing`` only when the same rule already failed on the same resource over the
    prior state (an unknown after an unknown counts as existing; a fail after an unknown is new).
    The resource's own actions do not decide it: a bucket the plan leaves alone becomes public when
    its policy, access block or account block changes, and an instance when its launch template
    does. ``fixed`` counts before-state violations the planned state no longer has.
    (``actions_by_address`` is accepted for callers and not used.)"""
    before = list(before_findings)
    held_before = {_change_key(f): f.status for f in before}
    after = list(after_findings)

    def change_of(finding: Finding) -> str:
        status_before = held_before.get(_change_key(finding))
        if status_before == "fail" or (status_before is not None and finding.status == "unknown"):
            return "existing"
        return "new"

    marked = [f.copy_with(change=change_of(f)) for f in after]
    after_keys = {_change_key(f) for f in after}
    counts = {"new": sum(f.change == "new" for f in marked),
              "existing": sum(f.change == "existing" for f in marked),
              "fixed": len({_change_key(f) for f in before if f.status == "fail"} - after_keys)}
    return marked, counts
