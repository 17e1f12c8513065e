"""Monte Carlo projections of a plan (``simulate``) and fitting the simulator to history (``calibrate``).

Builds on ``scenarios`` only (never on ``optimizer``): a plan comes in as a posts array aligned
with the pool's rows. See ``docs/simulator.md``.
"""

from .curve import AccumulationCurve, share_by_age
from .errors import CalibrationError, SimulationError
from .result import SimulationResult
from .calibrate import Calibration, calibrate
from .runner import simulate

__all__ = ["AccumulationCurve", "Calibration", "calibrate", "CalibrationError", "SimulationError", "SimulationResult", "share_by_age", "simulate"]
