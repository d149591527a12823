"""One module per ``twolayer`` subcommand, each with ``add_parser(subparsers)``."""
