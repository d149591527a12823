"""The ``twolayer`` command line: parsing only; every subcommand calls the library.

:mod:`twolayer.cli.main` builds the parser and turns twolayer's errors into one ``error:`` line;
:mod:`twolayer.cli.options` holds what the subcommands share; each other module is one
subcommand.
"""

from twolayer.cli.main import main

__all__ = ["main"]
