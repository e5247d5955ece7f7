"""Import use cases (the API every face calls); the implementation lives in ``crmxl.services.importing``."""

from crmxl.services.importing import *  # noqa: F403
from crmxl.services.importing import __all__  # noqa: F401
