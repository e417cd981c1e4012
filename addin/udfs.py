"""The module Excel loads (xlwings ``UDF MODULES = addin.udfs``).

Each area module declares its functions with :func:`addin.registry.udf`; importing them here
exposes every function under its Excel name in one module.
"""

from .info import *  # noqa: F401,F403
from .dscr import *  # noqa: F401,F403
from .lgd import *  # noqa: F401,F403
from .rv import *  # noqa: F401,F403
from .market import *  # noqa: F401,F403
from .portfolio import *  # noqa: F401,F403
