"""Runnable benchmarks for dhis2w (issue 6): ``python -m benchmarks.<name>``; see README.md."""
