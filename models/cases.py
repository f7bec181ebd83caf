"""Referral cases: the minimised record of one person attended by a consular post."""

from datetime import date, datetime

import sqlalchemy as sa
from pydantic import field_validator, model_validator
from sqlmodel import Field, SQLModel

from models.base import CODE, utcnow
from models.enums import (
    MINOR_AGE_BANDS,
    AgeBand,
    CaseEventKind,
    ConsentScope,
    ExploitationType,
    ForcedLabourIndustry,
    Gender,
    Indicator,
    MethodOfControl,
    ReferralState,
    ScreeningIndicator,
    Service,
    Situation,
    Stage,
    TraffickingStatus,
    TransferState,
    Urgency,
)
from models.types import N_, CountryCode, RuleViolation, Text

CASE_CODE_PATTERN = r"^[A-Z]{2}-\d{4}-\d{4,}$"


_SCREENING_CODES = frozenset(code.value for code in ScreeningIndicator)


def _known_screening_codes(value: object) -> object:
    """An unknown screening code is named (not listed against the codes it should have been)."""
    if isinstance(value, list | tuple):
        unknown = [str(code) for code in value if str(code) not in _SCREENING_CODES]
        if unknown:
            names = ", ".join(repr(code) for code in unknown)
            raise RuleViolation(N_("unknown screening indicator code(s): {names}"), names=names)
    return value


class CaseBase(SQLModel):
    consular_post: Text = Field(default="", max_length=120)
    identified_on: date
    identified_place: Text = Field(default="", max_length=200)
    # The person, minimised: an alias or initials, never a full name.
    person_alias: Text = Field(min_length=1, max_length=40)
    gender: Gender = Field(default=Gender.NonSpecifiedUnknown, sa_type=CODE)
    age_band: AgeBand | None = Field(default=None, sa_type=CODE)
    is_minor: bool = False
    citizenship: CountryCode | None = Field(default=None, max_length=2)
    primary_language: Text = Field(default="", max_length=40)
    situation: Situation = Field(default=Situation.undetermined, sa_type=CODE)
    trafficking_status: TraffickingStatus | None = Field(default=None, sa_type=CODE)
    exploitation_types: list[ExploitationType] = Field(default_factory=list, sa_type=sa.JSON)
    forced_labour_industries: list[ForcedLabourIndustry] = Field(
        default_factory=list, sa_type=sa.JSON
    )
    means_of_control: list[MethodOfControl] = Field(default_factory=list, sa_type=sa.JSON)
    indicators: list[Indicator] = Field(default_factory=list, sa_type=sa.JSON)
    exploitation_country: CountryCode | None = Field(default=None, max_length=2)
    consent_given: bool = False
    consent_date: date | None = None
    consent_scope: list[ConsentScope] = Field(default_factory=list, sa_type=sa.JSON)
    urgency: Urgency = Field(default=Urgency.medium, sa_type=CODE)
    needs: list[Service] = Field(default_factory=list, sa_type=sa.JSON)
    # What the officer saw, ticked in the form's optional screening guide
    # (services/cases/screening.py explains what they point to).
    screening_indicators: list[ScreeningIndicator] = Field(default_factory=list, sa_type=sa.JSON)

    @field_validator("screening_indicators", mode="before")
    @classmethod
    def _screening_codes(cls, value: object) -> object:
        return _known_screening_codes(value)


def _check_case_rules(model: "CaseCreate | CaseUpdate") -> None:
    if model.age_band in MINOR_AGE_BANDS and model.is_minor is False:
        raise ValueError(N_("the age band is a minor's: tick 'minor'"))
    if model.is_minor and model.urgency not in (None, Urgency.high):
        raise ValueError(N_("a minor's case is always of high urgency"))
    if model.consent_given is False and (model.consent_date or model.consent_scope):
        raise ValueError(N_("consent date and scope need consent to be given"))
    if model.consent_given and not model.consent_date:
        raise ValueError(N_("give the date consent was given"))


class CaseCreate(CaseBase):
    reporting_country: CountryCode

    @model_validator(mode="before")
    @classmethod
    def _minor_is_urgent(cls, data: object) -> object:
        # A minor is always high urgency: set it rather than refuse the form.
        if isinstance(data, dict) and data.get("is_minor"):
            data = {**data, "urgency": Urgency.high}
        return data

    @model_validator(mode="after")
    def _rules(self) -> "CaseCreate":
        _check_case_rules(self)
        return self


class CaseUpdate(SQLModel):
    """An edit of the assessment (every field optional; the version edited is passed to the
    service as `expected_version`, like every other case write)."""

    consular_post: Text | None = Field(default=None, max_length=120)
    identified_place: Text | None = Field(default=None, max_length=200)
    person_alias: Text | None = Field(default=None, min_length=1, max_length=40)
    gender: Gender | None = None
    age_band: AgeBand | None = None
    is_minor: bool | None = None
    citizenship: CountryCode | None = None
    primary_language: Text | None = Field(default=None, max_length=40)
    situation: Situation | None = None
    trafficking_status: TraffickingStatus | None = None
    exploitation_types: list[ExploitationType] | None = None
    forced_labour_industries: list[ForcedLabourIndustry] | None = None
    means_of_control: list[MethodOfControl] | None = None
    indicators: list[Indicator] | None = None
    exploitation_country: CountryCode | None = None
    consent_given: bool | None = None
    consent_date: date | None = None
    consent_scope: list[ConsentScope] | None = None
    urgency: Urgency | None = None
    needs: list[Service] | None = None
    screening_indicators: list[ScreeningIndicator] | None = None

    @field_validator("screening_indicators", mode="before")
    @classmethod
    def _screening_codes(cls, value: object) -> object:
        return _known_screening_codes(value)

    @model_validator(mode="after")
    def _rules(self) -> "CaseUpdate":
        _check_case_rules(self)
        return self


class Case(CaseBase, table=True):
    __tablename__ = "referral_case"
    __table_args__ = (
        sa.Index("ix_referral_case_country_stage", "reporting_country", "stage"),
        sa.Index("ix_referral_case_stage_changed", "stage", "stage_changed_at"),
        # A board column: one stage, most urgent first, longest waiting first (covering, so
        # a page of cards does not read every closed case).
        sa.Index("ix_referral_case_stage_urgency", "stage", "urgency", "stage_changed_at", "id"),
        # Reports by period: cases per month identified, date-range filters.
        sa.Index("ix_referral_case_identified_on", "identified_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_code: str = Field(max_length=20, sa_column_kwargs={"unique": True})
    reporting_country: str = Field(max_length=2)
    reported_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    assigned_to_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    citizenship: str | None = Field(default=None, max_length=2)
    exploitation_country: str | None = Field(default=None, max_length=2)
    urgency: Urgency = Field(default=Urgency.medium, sa_type=CODE, index=True)
    situation: Situation = Field(default=Situation.undetermined, sa_type=CODE, index=True)
    consent_override_reason: str | None = Field(default=None, sa_type=sa.Text)
    stage: Stage = Field(default=Stage.identified, sa_type=CODE)
    stage_changed_at: datetime = Field(default_factory=utcnow)
    closure_reason: str | None = Field(default=None, sa_type=sa.Text)
    return_counterpart: str | None = Field(default=None, max_length=200)
    return_travel_date: date | None = None
    return_reception: str | None = Field(default=None, sa_type=sa.Text)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    # Set when retention or an erasure request removed the person's data
    # (services/cases/retention.py).
    anonymised_at: datetime | None = None
    # When someone should next look at the case (services/cases/follow_ups.py); none once
    # closed. Indexed: "My tasks" and the reminders read the cases due by this date.
    next_follow_up_on: date | None = Field(default=None, index=True)
    # The country whose officers are responsible for the case after an accepted transfer
    # (CaseTransfer); None while it stays with the reporting country.
    responsible_country: str | None = Field(default=None, max_length=2, index=True)
    # The officer's first classification: the situation given when the case was opened, or
    # the first one given later when it was opened as "not yet determined". The training
    # report compares it with the final situation and the screening guide's suggestion.
    initial_situation: Situation | None = Field(default=None, sa_type=CODE)
    # What the screening guide's indicators point to (None: no indicator ticked).
    screening_suggestion: Situation | None = Field(default=None, sa_type=CODE)


class ReferralBase(SQLModel):
    service: Service = Field(sa_type=CODE)
    sent_on: date


class ReferralCreate(ReferralBase):
    case_id: int
    organisation_id: int


class ReferralUpdate(SQLModel):
    state: ReferralState
    decline_reason: Text | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _declined_has_reason(self) -> "ReferralUpdate":
        if self.state == ReferralState.declined and not self.decline_reason:
            raise ValueError(N_("a declined referral needs the reason"))
        return self


class Referral(ReferralBase, table=True):
    __tablename__ = "case_referral"
    # An officer's scope: the cases shared with their country, read from the index alone.
    __table_args__ = (
        sa.Index("ix_case_referral_cross_border_case", "cross_border_country", "case_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="referral_case.id", ondelete="CASCADE", index=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    state: ReferralState = Field(default=ReferralState.pending, sa_type=CODE)
    decline_reason: str | None = Field(default=None, sa_type=sa.Text)
    answered_on: date | None = None
    # Set when the organisation is in another country: that country's officers may then
    # read and comment on the case.
    cross_border_country: str | None = Field(default=None, max_length=2, index=True)
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow)
    # The organisation's answer is due by this date (sent_on + its response_days when sent).
    response_due_on: date | None = Field(default=None, index=True)


class CaseEventCreate(SQLModel):
    kind: CaseEventKind = CaseEventKind.note
    note: Text = Field(default="", max_length=10000)


class CaseEvent(SQLModel, table=True):
    """Append-only timeline of a case."""

    __tablename__ = "case_event"
    __table_args__ = (sa.Index("ix_case_event_case_created", "case_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="referral_case.id", ondelete="CASCADE")
    kind: CaseEventKind = Field(sa_type=CODE)
    author_id: int | None = Field(default=None, foreign_key="user_account.id")
    note: str = Field(default="", sa_type=sa.Text)
    details: dict = Field(default_factory=dict, sa_type=sa.JSON)
    created_at: datetime = Field(default_factory=utcnow)


class CaseTransfer(SQLModel, table=True):
    """A request to hand a case's responsibility to another country's officers, and its answer.

    One pending transfer per case at most; the receiving country's officers may read the case
    while it is pending, and become responsible for it once they accept."""

    __tablename__ = "case_transfer"
    __table_args__ = (sa.Index("ix_case_transfer_to_country_state", "to_country", "state"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="referral_case.id", ondelete="CASCADE", index=True)
    from_country: str = Field(max_length=2)
    to_country: str = Field(max_length=2)
    state: TransferState = Field(default=TransferState.pending, sa_type=CODE)
    note: str = Field(default="", sa_type=sa.Text)
    requested_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    requested_at: datetime = Field(default_factory=utcnow)
    answered_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    answered_at: datetime | None = None
    decline_reason: str | None = Field(default=None, sa_type=sa.Text)
