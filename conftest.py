"""The documentation's examples are tests too: every command block of README.md and docs/*.md
(tests/docs_check.py says how each kind of block is checked)."""

from docs_check import documentation

pytest_collect_file = documentation().pytest()
