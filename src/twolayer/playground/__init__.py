"""``twolayer playground``: watch twolayer's own backpropagation train, live, in the browser.

``settings`` (what the page can change) and ``datasets`` (drawn sets, files, clicked points)
are at the bottom; ``session`` runs :func:`twolayer.train.train` a chunk at a time; ``frames``
and ``exports`` turn a session into what the page draws and downloads; ``app`` is the Starlette
app and ``server`` binds the address and runs uvicorn.  ``static/`` holds the page.  Only
``app`` and ``server`` need the ``playground`` extra (Starlette, uvicorn); nothing here is
imported by ``import twolayer``.
"""
