"""xlwings' DataValidation implementation (``rng.data_validation``) over openpyxl's data validations.

A rule is set as Excel's ``Validation.Add`` sets it: blanks ignored, the input prompt and the error alert
shown, the alert a Stop; setting a rule on cells that have one changes it there (its prompts and alert
kept), and the rule's other cells keep theirs.
"""

from __future__ import annotations

from copy import copy
from typing import TYPE_CHECKING

from openpyxl.worksheet.cell_range import CellRange, MultiCellRange
from openpyxl.worksheet.datavalidation import DataValidation as OpenpyxlValidation
from xlwings import base_classes

if TYPE_CHECKING:
    from crmxl.workbook.xlengine.rng import Range

_TYPES = {"whole_number": "whole", "decimal": "decimal", "list": "list", "date": "date", "time": "time",
          "text_length": "textLength", "custom": "custom"}
_TYPES_BACK = {v: k for k, v in _TYPES.items()}
_OPERATORS = {"between": "between", "not_between": "notBetween", "equal_to": "equal", "not_equal_to": "notEqual",
              "greater_than": "greaterThan", "less_than": "lessThan", "greater_than_or_equal": "greaterThanOrEqual",
              "less_than_or_equal": "lessThanOrEqual"}
_OPERATORS_BACK = {v: k for k, v in _OPERATORS.items()}


def _minus(area: CellRange, cut: CellRange) -> list[CellRange]:
    """``area`` without the cells of ``cut``: up to four rectangles."""
    if area.isdisjoint(cut):
        return [area]
    inner = area.intersection(cut)
    parts = [(area.min_col, area.min_row, area.max_col, inner.min_row - 1),  # above
             (area.min_col, inner.max_row + 1, area.max_col, area.max_row),  # below
             (area.min_col, inner.min_row, inner.min_col - 1, inner.max_row),  # left
             (inner.max_col + 1, inner.min_row, area.max_col, inner.max_row)]  # right
    return [CellRange(min_col=a, min_row=b, max_col=c, max_row=d) for a, b, c, d in parts if a <= c and b <= d]


class DataValidation(base_classes.DataValidation):
    def __init__(self, rng: Range) -> None:
        self.range = rng

    @property
    def _area(self) -> CellRange:
        r = self.range
        return CellRange(min_col=r.col1, min_row=r.row1, max_col=r.col2, max_row=r.row2)

    @property
    def _rules(self) -> list[OpenpyxlValidation]:
        return self.range._ws.data_validations.dataValidation

    def _touching(self) -> list[OpenpyxlValidation]:
        area = self._area
        return [dv for dv in self._rules if any(not part.isdisjoint(area) for part in dv.sqref.ranges)]

    def _rule(self) -> OpenpyxlValidation | None:
        """The one rule that covers every cell of the range, if any."""
        touching = self._touching()
        if len(touching) != 1:
            return None
        area = self._area
        return touching[0] if any(part.issuperset(area) for part in touching[0].sqref.ranges) else None

    @property
    def api(self):
        return self._rule()

    @property
    def type(self) -> str:
        touching = self._touching()
        if not touching:
            return "none"
        rule = self._rule()
        if rule is None:
            return "inconsistent" if len(touching) > 1 else "mixed_criteria"
        return _TYPES_BACK.get(rule.type or "", "unknown")

    def _get(self, attribute: str):
        rule = self._rule()
        return None if rule is None else getattr(rule, attribute)

    @property
    def operator(self):
        if self.type in ("list", "custom", "none", "mixed_criteria", "inconsistent"):
            return None
        return _OPERATORS_BACK.get(self._get("operator") or "between")

    @property
    def formula1(self):
        return None if self.type in ("list", "custom") else self._get("formula1")

    @property
    def formula2(self):
        return self._get("formula2") if self.operator in ("between", "not_between") else None

    @property
    def formula(self):
        return self._get("formula1") if self.type == "custom" else None

    @property
    def source(self):
        if self.type != "list":
            return None
        formula = self._get("formula1")
        return formula[1:-1] if formula.startswith('"') else "=" + formula  # as Excel's Formula1 reads

    @property
    def in_cell_dropdown(self):
        return None if self.type != "list" else not self._get("showDropDown")  # openpyxl's flag hides it

    @property
    def ignore_blank(self):
        return self._get("allow_blank")

    input_title = property(lambda self: self._get("promptTitle"))
    input_message = property(lambda self: self._get("prompt"))
    show_input = property(lambda self: self._get("showInputMessage"))
    error_title = property(lambda self: self._get("errorTitle"))
    error_message = property(lambda self: self._get("error"))
    show_error = property(lambda self: self._get("showErrorMessage"))

    @property
    def alert_style(self):
        return self._get("errorStyle") or "stop" if self._rule() is not None else None

    def _formula(self, source) -> str:
        if isinstance(source, base_classes.Range):
            return source.get_address(True, True, True).split("]", 1)[-1]  # 'Lists'!$D$2:$D$9
        if isinstance(source, base_classes.Name):
            return source.name
        return '"' + ",".join(source) + '"'

    def set_list(self, source, in_cell_dropdown) -> None:
        self._set("list", None, self._formula(source), None)
        self._rule().showDropDown = not in_cell_dropdown

    def set_rule(self, rule_type, operator, formula1, formula2) -> None:
        def bare(formula):
            return formula[1:] if isinstance(formula, str) and formula.startswith("=") else formula

        self._set(rule_type, operator, bare(formula1), bare(formula2))

    def _set(self, rule_type: str, operator, formula1, formula2) -> None:
        kind = self.type
        if kind in ("mixed_criteria", "inconsistent"):
            raise ValueError("Cannot update data validation because the target cells have different validation rules.")
        old = self._rule()
        rule = OpenpyxlValidation(showErrorMessage=True, showInputMessage=True, allow_blank=True)
        if old is not None:  # Modify: the prompts and the alert stay
            rule = copy(old)
            self.delete()
        rule.type = _TYPES[rule_type]
        rule.operator = _OPERATORS.get(operator) if operator else None
        rule.formula1, rule.formula2 = formula1, formula2
        rule.sqref = MultiCellRange([self._area])
        self.range._ws.data_validations.append(rule)

    def delete(self) -> None:
        area = self._area
        for rule in self._touching():
            parts = [piece for part in rule.sqref.ranges for piece in _minus(part, area)]
            if parts:
                rule.sqref = MultiCellRange(parts)
            else:
                self._rules.remove(rule)
