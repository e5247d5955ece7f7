"""Import use cases (the API every face calls); the implementation lives in ``crmxl.services.importing``."""

from crmxl.services.importing import (
    AccountCreate,
    AccountUpdate,
    ContactCreate,
    ContactUpdate,
    Fingerprint,
    ImportHasErrors,
    ImportPlan,
    Move,
    change_lines,
    commit_import,
    plan_as_json,
    plan_import,
    plan_result,
    write_import_report,
)

__all__ = [
    "AccountCreate",
    "AccountUpdate",
    "ContactCreate",
    "ContactUpdate",
    "Fingerprint",
    "ImportHasErrors",
    "ImportPlan",
    "Move",
    "change_lines",
    "commit_import",
    "plan_as_json",
    "plan_import",
    "plan_result",
    "write_import_report",
]
