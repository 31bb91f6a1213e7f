"""Compliance reports: the figures regulators judge platforms by, from the timeline.

Each timeline event a figure needs leaves a compact occurrence (``occurrences.py``) in
the report log as it is recorded; ``facts.py`` folds a dispatch's occurrences into one
fact record and ``figures.py`` adds facts up per platform, regulator and period.
Definitions: docs/reports.md.
"""
