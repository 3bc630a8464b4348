"""The ``dhis2w`` shell command: a thin Click skin over the sync :class:`dhis2w.Client`.

The source lives in the top-level ``cli/`` folder but installs as ``dhis2w.cli``: an import
name inside our own package, so it can never overwrite another distribution's CLI (dhis2w
1.33's ``dhis2w-cli`` installs the top-level ``dhis2w_cli``). Every module here imports the
library lazily, inside command callbacks, so ``dhis2w --help`` starts as fast as Click itself.
"""
