"""
Benchmarks: speed and memory goals measured as ratios, side by side in one run.

Run them all with ``nox -s bench`` or ``python -m benchmarks [name ...]``.
"""
