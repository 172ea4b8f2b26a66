"""``iacgate rules``: list, show and validate rule packs."""
from __future__ import annotations

import difflib
import json
from enum import Enum
from typing import Any, List, Optional

import typer

from ..findings import severity_rank
from .loader import Rule, RuleError

rules_app = typer.Typer(
    help="List, show and validate iacgate rules (the built-in pack and your own --policies packs).",
    no_args_is_help=True,
    add_completion=False,
)

USAGE_ERROR = 2


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


PoliciesOption = typer.Option(
    None, "--policies", metavar="DIR",
    help="A folder of your own rules, loaded after the built-in pack (repeatable). A rule with a "
         "built-in id replaces that rule.")
FormatOption = typer.Option(OutputFormat.text, "--format", help="Output format.")


def _load(policies: Optional[List[str]]) -> tuple[list[Rule], bool]:
    """Load rules, report faults and warnings on stderr; the flag says whether any fault occurred."""
    from .loader import load_rules

    rules, errors = load_rules(list(policies or []))
    failed = _report(errors)
    return rules, failed


def _report(errors: list[RuleError]) -> bool:
    failed = False
    for error in errors:
        if error.kind == "error":
            failed = True
            typer.echo(str(error), err=True)
        else:
            typer.echo(f"warning: {error}", err=True)
    return failed


def _severity_text(rule: Rule) -> str:
    raised = sorted({e.severity for e in rule.escalate}, key=severity_rank)
    return rule.severity + (f" (up to {raised[0]})" if raised else "")


def _summary(rule: Rule) -> dict[str, Any]:
    return {"id": rule.id, "severity": rule.severity, "max_severity": rule.max_severity,
            "concept": rule.concept, "resource": rule.resource, "title": rule.title,
            "enabled": rule.enabled, "builtin": rule.builtin, "file": rule.file,
            "overrides": rule.overrides}


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)


@rules_app.command("list")
def list_rules(policies: Optional[List[str]] = PoliciesOption,
               output: OutputFormat = FormatOption) -> None:
    """List every rule: id, severity, concept, resource and title."""
    rules, failed = _load(policies)
    if output is OutputFormat.json:
        typer.echo(json.dumps([_summary(rule) for rule in rules], indent=2))
    else:
        rows = [["ID", "SEVERITY", "CONCEPT", "RESOURCE", "TITLE"]]
        for rule in rules:
            title = rule.title
            if not rule.enabled:
                title += " [off unless --only]"
            if rule.overrides:
                title += " [replaces built-in]"
            rows.append([rule.id, _severity_text(rule), rule.concept, rule.resource, title])
        typer.echo(_table(rows))
    if failed:
        raise typer.Exit(USAGE_ERROR)


def _yaml_text(data: Any) -> str:
    import yaml

    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=100).rstrip()


def _indent(text: str, prefix: str = "  ") -> str:
    return "\n".join(prefix + line if line else line for line in text.rstrip().splitlines())


def _show_text(rule: Rule) -> str:
    data = rule.data
    lines = [f"{rule.id}: {rule.title}", "",
             f"severity:  {_severity_text(rule)}",
             f"concept:   {rule.concept}",
             f"resource:  {rule.resource}",
             f"enabled:   {'yes' if rule.enabled else 'no (runs only when selected with --only)'}",
             f"file:      {rule.file}"]
    if rule.overrides:
        lines.append(f"replaces:  {rule.overrides}")
    if rule.description:
        lines += ["", rule.description.strip()]
    lines += ["", "condition (true = violation):", _indent(_yaml_text(data["condition"]))]
    for entry in data.get("escalate") or []:
        lines += [f"severity {entry['severity']} when:", _indent(_yaml_text(entry["when"]))]
    if rule.parameters:
        lines += ["parameters (defaults):", _indent(_yaml_text(rule.parameters))]
    lines += ["", "message:", _indent(rule.message.text)]
    for entry in data.get("message_cases") or []:
        lines += ["message when:", _indent(_yaml_text(entry["when"])),
                  _indent(entry["message"], "  > ")]
    if rule.unknown_message is not None:
        lines += ["message when it cannot be decided:", _indent(rule.unknown_message.text)]
    lines += ["", "remediation:", _indent(rule.remediation.get("summary", "").strip())]
    for key, label in (("terraform", "Terraform"), ("cloudformation", "CloudFormation")):
        if rule.remediation.get(key):
            lines += ["", f"{label} fix:", _indent(rule.remediation[key], "    ")]
    if rule.references:
        lines += ["", "references:", *(f"  - {ref}" for ref in rule.references)]
    return "\n".join(lines)


@rules_app.command("show")
def show_rule(rule_id: str = typer.Argument(..., metavar="ID", help="The rule id."),
              policies: Optional[List[str]] = PoliciesOption,
              output: OutputFormat = FormatOption) -> None:
    """Show one rule in full: text, condition, message and example fixes."""
    rules, failed = _load(policies)
    by_id = {rule.id: rule for rule in rules}
    rule = by_id.get(rule_id) or next((r for r in rules if r.id.lower() == rule_id.lower()), None)
    if rule is None:
        close = difflib.get_close_matches(rule_id, list(by_id), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        typer.echo(f"error: no rule with id '{rule_id}'{hint}", err=True)
        raise typer.Exit(USAGE_ERROR)
    if output is OutputFormat.json:
        typer.echo(json.dumps({**rule.data, "file": rule.file, "builtin": rule.builtin,
                               "overrides": rule.overrides}, indent=2, default=str))
    else:
        typer.echo(_show_text(rule))
    if failed:
        raise typer.Exit(USAGE_ERROR)


@rules_app.command("validate")
def validate_rules(directories: List[str] = typer.Argument(..., metavar="DIR...",
                                                           help="Folders of rule files.")) -> None:
    """Check rule packs against the rule schema and the fact catalog.

    Exit 0 when every rule is valid; 2 otherwise, with each fault on stderr as
    FILE: /json/pointer: message."""
    from .loader import is_builtin_dir, load_pack

    errors: list[RuleError] = []
    seen: dict[str, str] = {}
    total = 0
    for directory in directories:
        rules, faults = load_pack(directory, builtin=is_builtin_dir(directory))
        errors.extend(faults)
        for rule in rules:
            if rule.id in seen:
                errors.append(RuleError(rule.file, "/id", f"duplicate rule id '{rule.id}' (also "
                                                          f"in {seen[rule.id]})"))
            seen.setdefault(rule.id, rule.file)
        total += len(rules)
    if _report(errors):
        raise typer.Exit(USAGE_ERROR)
    typer.echo(f"{total} rule{'s' if total != 1 else ''} valid in {', '.join(directories)}")
