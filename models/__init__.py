"""SQLModel tables and their create/update schemas. Importing this registers every table."""

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

__all__ = [
    "AuditEvent",
    "CaseEvent",
    "DataVersion",
    "CaseEventCreate",
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
]
