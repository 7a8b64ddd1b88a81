"""A local AWS Storage Gateway + EC2 endpoint for tests and offline use (extra ``[emulator]``)."""

from .faults import Call
from .handle import Emulator, EmulatorError

__all__ = ["Call", "Emulator", "EmulatorError"]
