"""SQLModel tables and their create/update schemas.

The names below are loaded on first use (PEP 562), so that `models.enums` and `models.types`
can be imported without building every table: `enlace --help` needs the enums, not the ORM.
Using any of these names, or calling `register_tables()`, imports every table module at
once, so the metadata and the relationships between tables are always complete.
"""

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from models.accounts import (
        Organisation,
        OrganisationCreate,
        OrganisationUpdate,
        UserAccount,
        UserAccountCreate,
        UserAccountUpdate,
    )
    from models.audit import AuditEvent
    from models.cases import (
        Case,
        CaseCreate,
        CaseEvent,
        CaseEventCreate,
        CaseTransfer,
        CaseUpdate,
        Referral,
        ReferralCreate,
        ReferralUpdate,
    )
    from models.courses import (
        Course,
        CourseCreate,
        CourseUpdate,
        Enrollment,
        EnrollmentCreate,
        Module,
        ModuleCreate,
        ModuleProgress,
        ModuleProgressCreate,
        Participant,
        ParticipantCreate,
        ParticipantUpdate,
    )
    from models.data_version import DataVersion
    from models.reminders import ReminderSent

# The modules that define tables, in the order they were always imported.
TABLE_MODULES = ("accounts", "audit", "cases", "courses", "reminders", "data_version")

_WHERE = {
    "accounts": (
        "Organisation",
        "OrganisationCreate",
        "OrganisationUpdate",
        "UserAccount",
        "UserAccountCreate",
        "UserAccountUpdate",
    ),
    "audit": ("AuditEvent",),
    "cases": (
        "Case",
        "CaseCreate",
        "CaseEvent",
        "CaseEventCreate",
        "CaseTransfer",
        "CaseUpdate",
        "Referral",
        "ReferralCreate",
        "ReferralUpdate",
    ),
    "courses": (
        "Course",
        "CourseCreate",
        "CourseUpdate",
        "Enrollment",
        "EnrollmentCreate",
        "Module",
        "ModuleCreate",
        "ModuleProgress",
        "ModuleProgressCreate",
        "Participant",
        "ParticipantCreate",
        "ParticipantUpdate",
    ),
    "reminders": ("ReminderSent",),
    "data_version": ("DataVersion",),
}
_MODULE_OF = {name: module for module, names in _WHERE.items() for name in names}


def register_tables() -> None:
    """Import every table module: registers every table on SQLModel's metadata."""
    for module in TABLE_MODULES:
        import_module(f"models.{module}")


def __getattr__(name: str) -> object:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'models' has no attribute {name!r}")
    register_tables()
    value = getattr(import_module(f"models.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "AuditEvent",
    "CaseEvent",
    "CaseEventCreate",
    "DataVersion",
    "Referral",
    "ReminderSent",
    "ReferralCreate",
    "ReferralUpdate",
    "Course",
    "CourseCreate",
    "CourseUpdate",
    "Enrollment",
    "EnrollmentCreate",
    "Module",
    "ModuleCreate",
    "ModuleProgress",
    "ModuleProgressCreate",
    "Organisation",
    "OrganisationCreate",
    "OrganisationUpdate",
    "Participant",
    "ParticipantCreate",
    "ParticipantUpdate",
    "Case",
    "CaseCreate",
    "CaseUpdate",
    "CaseTransfer",
    "UserAccount",
    "UserAccountCreate",
    "UserAccountUpdate",
    "register_tables",
]
