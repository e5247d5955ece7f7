"""An xlwings engine over openpyxl: xlwings' own Book/Sheet/Range run on .xlsx files, without Excel."""

from crmxl.workbook.xlengine.app import ENGINE_NAME, OpenpyxlEngine

__all__ = ["ENGINE_NAME", "OpenpyxlEngine"]
