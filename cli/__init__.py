"""The ``dhis2w`` shell command: a thin Click skin over the sync :class:`dhis2w.Client`.

Installed as the package ``dhis2w_cli``. Every module here imports the library lazily,
inside command callbacks, so ``dhis2w --help`` starts as fast as Click itself.
"""
