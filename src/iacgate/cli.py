"""The command line: ``iacgate check``, ``iacgate inventory``, ``iacgate rules ...``.

Heavy modules (parsers, jsonschema, rich) are imported inside the commands that use them, so
``iacgate --version`` and a one-file check start fast.
"""
from __future__ import annotations

import os
import sys
from typing import List, Optional

import typer

from . import __version__
from .launcher import Launch

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Pre-deployment security gate for Terraform, CloudFormation and plan JSON.",
                  context_settings={"help_option_names": ["-h", "--help"]})

EXIT_USAGE = 2


def _version(value: bool) -> None:
    if value:
        typer.echo(f"iacgate {__version__}")
        raise typer.Exit(0)


@app.callback()
def main_options(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                              help="Print the version and exit.")) -> None:
    """iacgate stops public S3 buckets, hard-coded AWS keys and IMDSv1 before apply."""


def _pairs(values: list[str], flag: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        if "=" not in item:
            raise typer.BadParameter(f"{flag} takes KEY=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        out[key.strip()] = value
    return out


def _load_options(var_file: list[str], var: list[str], cfn_param: list[str], max_file_size: int):
    from .load import LoadOptions

    return LoadOptions(var_files=list(var_file), vars=_pairs(var, "--var"),
                       cfn_params=_pairs(cfn_param, "--cfn-param"), max_file_size=max_file_size)


FORMATS = ("text", "json", "sarif", "junit", "markdown", "github", "atlantis")
SEVERITY_CHOICES = ("critical", "high", "medium", "low", "info")
DEFAULT_MAX_FILE_SIZE = 256 * 1024 * 1024


def _setting(cli_value, config: dict, key: str, default):  # type: ignore[no-untyped-def]
    """The command line wins over the project configuration, which wins over the default."""
    if cli_value not in (None, [], ()):
        return cli_value
    value = config.get(key)
    if value is None:
        return default
    if isinstance(default, list) and isinstance(value, str):
        return [value]
    return value


@app.command()
def check(
    ctx: typer.Context,
    paths: List[str] = typer.Argument(..., help="Files, folders (scanned recursively) or - for a plan "
                                      "JSON on standard input."),
    format: Optional[str] = typer.Option(None, "--format", "-f", help=f"Report format: {', '.join(FORMATS)} "
                                         "(default text)."),
    output: List[str] = typer.Option([], "--output", "-o", help="Write the report to FILE, or FORMAT=FILE "
                                     "(repeatable, several formats in one run)."),
    fail_on: Optional[str] = typer.Option(None, "--fail-on", help="Lowest severity that blocks (default "
                                          "high)."),
    unknown: Optional[str] = typer.Option(None, "--unknown", help="What an undecidable result does: fail, "
                                          "warn, pass, or auto (default: blocks at severity high and above)."),
    severity: Optional[str] = typer.Option(None, "--severity", help="Only evaluate rules of this "
                                           "severity or higher."),
    only: List[str] = typer.Option([], "--only", help="Only these rules: ids, globs or concepts (repeatable)."),
    skip: List[str] = typer.Option([], "--skip", help="Skip these rules: ids, globs or concepts (repeatable)."),
    policies: List[str] = typer.Option([], "--policies", help="Add a folder of YAML rules (repeatable)."),
    param: List[str] = typer.Option([], "--param", help="Rule parameter RULE-ID.NAME=VALUE or NAME=VALUE "
                                    "(repeatable)."),
    var_file: List[str] = typer.Option([], "--var-file", help="Terraform variables file (repeatable)."),
    var: List[str] = typer.Option([], "--var", help="Terraform variable KEY=VALUE (repeatable)."),
    cfn_param: List[str] = typer.Option([], "--cfn-param", help="CloudFormation parameter KEY=VALUE "
                                        "(repeatable)."),
    account_context: Optional[str] = typer.Option(None, "--account-context", help="YAML/JSON file "
                                                  "declaring account-level settings the configuration "
                                                  "does not hold (S3 public access block)."),
    ignore_file: Optional[str] = typer.Option(None, "--ignore-file", help="Suppressions file (default: "
                                              ".iacgate-ignore.yaml in the current folder)."),
    baseline: Optional[str] = typer.Option(None, "--baseline", help="Only findings not in this baseline "
                                           "block."),
    new_only: bool = typer.Option(False, "--new-only", help="Plans: only findings the change introduces "
                                  "block."),
    max_file_size: Optional[int] = typer.Option(None, "--max-file-size", help="Refuse files larger than "
                                                "this many bytes (default 256 MiB)."),
    source_root: Optional[str] = typer.Option(None, "--source-root", help="Plans: the folder of the root "
                                              "module the plan was made from; findings then point at "
                                              "the .tf lines that declare each resource (default: the plan "
                                              "file's folder, or the current one for stdin, when it holds "
                                              ".tf files)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not read or write the parsed-file cache."),
    cache_dir: Optional[str] = typer.Option(None, "--cache-dir", help="Folder of the parsed-file cache "
                                            "(default: $XDG_CACHE_HOME/iacgate or ~/.cache/iacgate)."),
) -> None:
    """Scan PATHS and gate: exit 0 pass, 1 blocking findings, 2 usage or input error."""
    from .config import ConfigError, load_config
    from .scan import ScanOptions, scan

    try:
        config = load_config(os.getcwd())
    except ConfigError as exc:
        _usage(str(exc))
    fmt = _setting(format, config, "format", "text")
    fail_on = _setting(fail_on, config, "fail_on", "high")
    unknown = _setting(unknown, config, "unknown", "auto")
    severity = _setting(severity, config, "severity", None)
    if fmt not in FORMATS:
        _usage(f"--format must be one of {', '.join(FORMATS)}")
    for name, value in (("--fail-on", fail_on), ("--severity", severity)):
        if value is not None and value not in SEVERITY_CHOICES:
            _usage(f"{name} must be one of {', '.join(SEVERITY_CHOICES)}")
    if unknown not in ("auto", "fail", "warn", "pass"):
        _usage("--unknown must be one of auto, fail, warn, pass")
    config_outputs = config.get("outputs") or []
    if isinstance(config_outputs, dict):
        config_outputs = [f"{k}={v}" for k, v in config_outputs.items()]
    targets = _outputs(list(output) or list(config_outputs), fmt)
    config_vars = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in (config.get("vars") or {}).items()}
    load_options = _load_options(_setting(var_file, config, "var_files", []), var, cfn_param,
                                 _setting(max_file_size, config, "max_file_size", DEFAULT_MAX_FILE_SIZE))
    load_options.vars = {**config_vars, **load_options.vars}
    load_options.cache_dir = _cache_dir(no_cache, cache_dir, config.get("cache"))
    options = ScanOptions(load=load_options, policies=_setting(policies, config, "policies", []),
                          only=_setting(only, config, "only", []), skip=_setting(skip, config, "skip", []),
                          min_severity=severity, fail_on=fail_on, unknown=unknown,
                          new_only=new_only or bool(config.get("new_only")),
                          ignore_file=_setting(ignore_file, config, "ignore_file", None),
                          baseline=_setting(baseline, config, "baseline", None),
                          source_root=_setting(source_root, config, "source_root", None))
    options.rule_params = _rule_params(param, config)
    context = _setting(account_context, config, "account_context", None)
    if context:
        from .account import load_account_context

        blocks, error = load_account_context(context)
        if error:
            _usage(error)
        options.account_blocks = blocks
    try:
        launch = ctx.obj if isinstance(ctx.obj, Launch) else None
        report = scan(list(paths), options, keep_alive=launch.keep_alive if launch is not None else None,
                      builtin_rules=launch.builtin_rules if launch is not None else None)
    except ValueError as exc:  # ignore file, baseline: a usage error
        _usage(str(exc))
    _write_report(report, targets)
    raise typer.Exit(report.exit_code)


def _cache_dir(no_cache: bool, cli_dir: str | None, configured: bool | str | None) -> str | None:
    """The parse cache folder, or None when caching is off (``--no-cache`` or ``cache: false``)."""
    if no_cache:
        return None
    if cli_dir:
        return cli_dir
    if configured is False:
        return None
    if isinstance(configured, str) and configured:
        return configured
    from .parse_cache import default_cache_dir

    return default_cache_dir()


def _rule_params(items: list[str], config: dict) -> dict:  # type: ignore[type-arg]
    from .rules.engine import parse_param_overrides

    params: dict = {}  # type: ignore[type-arg]
    for rule_id, values in (config.get("parameters") or {}).items():
        if isinstance(values, dict):
            params.setdefault(rule_id, {}).update(values)
    try:
        for rule_id, values in parse_param_overrides(items).items():
            params.setdefault(rule_id, {}).update(values)
    except ValueError as exc:
        _usage(f"--param: {exc}")
    return params


def _write_report(report, targets: list[tuple[str, str | None]]) -> None:  # type: ignore[no-untyped-def]
    from .report import write

    wrote_stdout = False
    for fmt, target in targets:
        if target is None:
            write(report, fmt, sys.stdout, color=sys.stdout.isatty(), final_newline=True)
            wrote_stdout = True
            continue
        try:
            with open(target, "w", encoding="utf-8") as fh:
                write(report, fmt, fh)
        except OSError as exc:
            _usage(f"cannot write {target}: {exc.strerror}")
    if not wrote_stdout:
        sys.stderr.write(report.summary_line + "\n")


def _outputs(output: list[str], default_format: str) -> list[tuple[str, str | None]]:
    """``-o FILE`` writes the main format to FILE; ``-o FORMAT=FILE`` adds a format. Without a plain
    FILE the main format goes to standard output."""
    targets: list[tuple[str, str | None]] = []
    main_target: str | None = None
    for item in output:
        fmt, sep, path = item.partition("=")
        if sep and fmt in FORMATS:
            targets.append((fmt, path))
        else:
            main_target = item
    if main_target is None and any(fmt == default_format for fmt, _ in targets):
        return targets
    return [(default_format, main_target)] + targets


def _usage(message: str) -> None:
    typer.echo(f"iacgate: {message}", err=True)
    raise typer.Exit(EXIT_USAGE)


@app.command()
def inventory(
    paths: List[str] = typer.Argument(..., help="Files or folders to load."),
    format: str = typer.Option("json", "--format", "-f", help="json (the model) or text (one line a "
                               "resource)."),
    var_file: List[str] = typer.Option([], "--var-file"),
    var: List[str] = typer.Option([], "--var"),
    cfn_param: List[str] = typer.Option([], "--cfn-param"),
    max_file_size: int = typer.Option(256 * 1024 * 1024, "--max-file-size"),
) -> None:
    """Print the model the gate builds from PATHS (for debugging and tests). Secrets are redacted."""
    from .build import build_model
    from .inventory import render_inventory
    from .scan import load, unlinked_errors

    loaded = load(list(paths), _load_options(var_file, var, cfn_param, max_file_size))
    model = build_model(loaded.resources)
    model.errors = loaded.errors + model.errors + unlinked_errors(model)
    sys.stdout.write(render_inventory(model, loaded.files, format))
    raise typer.Exit(EXIT_USAGE if any(e.kind == "error" for e in model.errors) else 0)


def _add_subcommands() -> None:
    from .rules.commands import rules_app

    app.add_typer(rules_app, name="rules", help="List, show and validate rules.")
    try:
        from .baseline import baseline_app
    except ImportError:
        return
    app.add_typer(baseline_app, name="baseline", help="Record today's findings so only new ones block.")


def main(launch: Launch | None = None) -> None:
    """``launch``: what the console entry hands ``check`` (see launcher.Launch)."""
    argv = sys.argv[1:]
    if not argv or argv[0] in ("rules", "baseline", "-h", "--help"):
        _add_subcommands()
    try:
        app(prog_name="iacgate", standalone_mode=True, obj=launch)
    except KeyboardInterrupt:
        sys.stderr.write("iacgate: interrupted\n")
        sys.exit(130)
    except RecursionError:
        sys.stderr.write("iacgate: input nested too deeply to analyse\n")
        sys.exit(EXIT_USAGE)
    except Exception as exc:  # never a traceback: report the fault, exit 2 (fail closed)
        from .redact import scrub

        sys.stderr.write(f"iacgate: internal error: {type(exc).__name__}: {scrub(str(exc))[:500]}\n")
        sys.exit(EXIT_USAGE)


if __name__ == "__main__":
    main()
