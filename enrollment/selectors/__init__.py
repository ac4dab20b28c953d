"""Reads of enrollment's data that pages, the API and other apps may use (QuerySets).

One module per area; everything public is re-exported here.
"""

from .applications import *  # noqa: F401,F403
from .proposals import *  # noqa: F401,F403
from .reconciliation import *  # noqa: F401,F403
from .register import *  # noqa: F401,F403
