"""Errors a user can cause through the simulator (one-line messages; the CLI prints them)."""

from __future__ import annotations

from scenarios.errors import ReachmixError


class SimulationError(ReachmixError):
    """Bad simulation arguments (runs, days, seed, jobs, chunk size)."""


class CalibrationError(ReachmixError):
    """A history CSV that cannot be used at all (missing file or columns, no usable rows)."""
