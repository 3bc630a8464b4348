"""``python -m dhis2w``: the same command line as the ``dhis2w`` console script."""

from __future__ import annotations

from importlib import import_module

if __name__ == "__main__":
    # Imported by name: the CLI is installed as dhis2w.cli from the top-level cli/ folder,
    # which a type checker run on the source tree cannot see under that name.
    import_module("dhis2w.cli.main").main()
