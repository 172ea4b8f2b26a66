"""The ``iacgate`` console entry point: answers ``--version`` without loading the CLI framework."""
from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from . import __version__

        sys.stdout.write(f"iacgate {__version__}\n")
        return
    from .cli import main as cli_main

    cli_main()
