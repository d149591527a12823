"""Sphinx configuration of twolayer's documentation site.

Build it from the repository's root (README.md, "The documentation site"):

    pip install '.[docs]' && python -m sphinx -W -b html docs docs/_build/html

The Markdown pages beside this file are read by MyST as they are (they stay plain Markdown for
the repository page and for tests/docs_check.py); ``api.rst`` is the API reference, generated
by autosummary from the docstrings (numpydoc); the scripts in ``examples/`` become a gallery
(sphinx-gallery, executed, with their figures); the tutorials in ``notebooks/`` are copied into
``tutorials/`` and executed by MyST-NB.  Everything generated is ignored by git and by pytest.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import twolayer

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent

project = "twolayer"
author = "the twolayer authors"
copyright = "the twolayer authors"
release = twolayer.__version__
version = release

extensions = [
    "myst_nb",  # Markdown pages (MyST) and notebooks
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "seed", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "**.ipynb_checkpoints"]  # fmt: skip

# --- the Markdown pages -------------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3  # links such as training.md#sample-weights-sample_weight
suppress_warnings = [
    # The pages link to files of the repository (../README.md, ../src/..., ../tests/...), which
    # work on the repository's page and are not pages of this site.
    "myst.xref_missing",
]

# --- the API reference ----------------------------------------------------------------------
autosummary_generate = True
templates_path = ["_templates"]  # a class's page: its own members, not scikit-learn's plumbing
numpydoc_show_class_members = False  # autosummary lists them
numpydoc_class_members_toctree = False
numpydoc_validation_checks: set[str] = set()

# --- the tutorials: notebooks/ copied in, executed at build ---------------------------------
TUTORIALS = DOCS / "tutorials"
shutil.rmtree(TUTORIALS, ignore_errors=True)
TUTORIALS.mkdir()
for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
    shutil.copy2(notebook, TUTORIALS / notebook.name)
nb_execution_mode = "force"
nb_execution_timeout = 300
nb_execution_raise_on_error = True
nb_merge_streams = True

# --- the gallery: examples/, executed -------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r".*\.py$",  # run every example, not only plot_*.py
    "download_all_examples": False,
    "remove_config_comments": True,
    "min_reported_time": 1,
}

# --- the pages --------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = "twolayer"
html_theme_options = {"navigation_with_keys": False, "show_toc_level": 2}
