"""A local AWS Storage Gateway + EC2 endpoint for tests and offline use (extra ``[emulator]``).

A substitute is never kinder than the real thing: each module says which real behaviour it
reproduces and from which source (botocore's service models, the AWS API references). Importing
this package starts nothing, imports no moto and changes nothing in ``os.environ``.
"""

from .faults import Call
from .handle import Emulator, EmulatorError
from .throttling import BucketOptions

__all__ = ["BucketOptions", "Call", "Emulator", "EmulatorError"]
