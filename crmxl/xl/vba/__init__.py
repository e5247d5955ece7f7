"""Writers for the binary parts of a macro-enabled workbook: the VBA project and its compound file."""

from crmxl.xl.vba.cfb import write_compound_file
from crmxl.xl.vba.compression import compress
from crmxl.xl.vba.project import build_vba_project

__all__ = ["build_vba_project", "compress", "write_compound_file"]
