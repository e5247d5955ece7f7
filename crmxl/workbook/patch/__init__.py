"""The report written by patching the workbook's package in place (see ``writer``)."""

from crmxl.workbook.patch.package import Unpatchable
from crmxl.workbook.patch.writer import Annotations, patch_workbook

__all__ = ["Annotations", "Unpatchable", "patch_workbook"]
