"""The ``iacgate`` console entry point: answers ``--version`` without loading the CLI framework,
starts checking the built-in rules while the command line loads, and ends the process without
tearing the interpreter down object by object."""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .rules.loader import BuiltinCheck


@dataclass
class Launch:
    """What the console entry hands ``check``: where the run leaves what it need not free (freed by
    the process's end, see end_process), and the built-in rule pack's check, started before the
    command line was loaded and parsed."""

    keep_alive: list[object] = field(default_factory=list)
    builtin_rules: BuiltinCheck | None = None


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from . import __version__

        sys.stdout.write(f"iacgate {__version__}\n")
        return
    from .collector import collector_paused

    launch = Launch()
    with collector_paused(age_survivors=True):  # start-up makes modules, classes, functions: nothing to collect
        if sys.argv[1:2] == ["check"]:  # every check needs the built-in rules: checked meanwhile
            from .rules.loader import BuiltinCheck

            launch.builtin_rules = BuiltinCheck()
        from .cli import main as cli_main

    try:
        cli_main(launch)
    except SystemExit as exc:
        end_process(exc.code, launch)
    end_process(0, launch)


def end_process(code: object, launch: Launch | None = None) -> None:
    """Exit with ``code`` as ``sys.exit`` would, once the output is flushed, but without the
    interpreter's teardown. By then the report is written, files are closed and worker processes
    have been joined; what is left is freeing the scan's objects one by one (a large tree's syntax
    trees, resources and models: about a tenth of the run) and a last garbage collection over them,
    which the operating system does at once when the process ends. Under a profiler or a tracer
    (cProfile, coverage), which write their results at the interpreter's exit, it exits normally."""
    if launch is not None and launch.builtin_rules is not None:
        launch.builtin_rules.close()  # a run that never got to its rules (usage error, --help)
    if sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # sys.exit("message"): the message goes to standard error, the status is 1
        sys.stderr.write(f"{code}\n")
        status = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: as the interpreter, status 120
            status = status or 120
    os._exit(status)
