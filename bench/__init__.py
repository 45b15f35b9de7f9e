"""Benchmarks: speed, cost and quality of pmpilot against baselines measured in the same run.

``python -m bench`` (``make bench``; ``--quick`` for the reduced set) writes
``bench/results/latest.json`` and prints a table of every figure with its goal. Ratios are computed
within one process run so the noise of a shared machine cancels; timings are medians over repeats.
How each figure is measured: docs/performance.md.
"""
