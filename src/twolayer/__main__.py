"""``python -m twolayer``: the same as the ``twolayer`` command."""

from twolayer.cli import main

raise SystemExit(main())
