"""Runs: a params file bound to its folder, and the machinery that brings it up to date.

- ``run``: ``Run``, the step fingerprints, records and status.
- ``state``: ``StepStatus`` and ``StepNotDone``, where a step stands.
- ``products``: the files a step hands on, hashed into its record and into the
  fingerprints downstream; the checks that a finished step's files still agree.
- ``runner``: executes the step notebooks with papermill, in order, skipping what is
  done; ``open_run`` for a notebook's first cell.
- ``kernel``: the Jupyter kernel the runner starts, and its manager's settings.
- ``seeds``: one params file run once per seed.
- ``check``: a params file and its audio checked without heavy work.

Imports no step: the runner executes notebooks, which call the steps. No torch.
"""
