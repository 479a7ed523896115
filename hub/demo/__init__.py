"""``hub demo``: the shipped flows played end to end against the simulators, with a report.

systems.py starts the simulated systems, workspace.py writes the workspace wired to them,
play.py runs the scenario with the hub's own machinery, report.py says what happened where,
keep.py serves the API afterwards (``--keep``).
"""
