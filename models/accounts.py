"""People who sign in, and the organisations cases are referred to."""

from datetime import datetime

import sqlalchemy as sa
from pydantic import model_validator
from sqlmodel import Field, SQLModel

from models.base import CODE, utcnow
from models.enums import Language, OrgType, Role, Service
from models.types import N_, CountryCode, Email, Text, TimeZone


class UserAccountBase(SQLModel):
    email: Email = Field(max_length=254)
    display_name: Text = Field(default="", max_length=200)
    role: Role = Field(sa_type=CODE)
    country: CountryCode | None = Field(default=None, max_length=2)
    organisation_id: int | None = None
    preferred_language: Language = Field(default=Language.en, sa_type=CODE)
    # IANA name ("America/Asuncion"); None: the zone of the account's country.
    time_zone: TimeZone | None = Field(default=None, max_length=64)


def _officer_needs_country(model: "UserAccountBase | UserAccountUpdate") -> None:
    if model.role == Role.officer and not model.country:
        raise ValueError(N_("An officer must have a country."))
    if model.role == Role.partner and not model.organisation_id:
        raise ValueError(PARTNER_NEEDS_ORGANISATION)


# msgid: services/platform/users.py
PARTNER_NEEDS_ORGANISATION = N_("A partner account must belong to an organisation.")


class UserAccountCreate(UserAccountBase):
    participant_id: int | None = None

    @model_validator(mode="after")
    def _check_country(self) -> "UserAccountCreate":
        _officer_needs_country(self)
        return self


class UserAccountUpdate(SQLModel):
    display_name: Text | None = Field(default=None, max_length=200)
    role: Role | None = None
    country: CountryCode | None = None
    organisation_id: int | None = None
    preferred_language: Language | None = None
    time_zone: TimeZone | None = None
    is_active: bool | None = None


class UserAccount(UserAccountBase, table=True):
    __tablename__ = "user_account"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, sa_column_kwargs={"unique": True})
    role: Role = Field(sa_type=CODE, index=True)
    country: str | None = Field(default=None, max_length=2, index=True)
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    participant_id: int | None = Field(default=None, foreign_key="participant.id")
    is_active: bool = True
    last_login_at: datetime | None = None
    # Identity cookies issued before this instant no longer sign the person in (sign-out,
    # "sign out everywhere", deactivation). UTC, like every timestamp here.
    sessions_valid_after: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class OrganisationBase(SQLModel):
    name: Text = Field(min_length=2, max_length=200)
    org_type: OrgType = Field(sa_type=CODE)
    country: CountryCode = Field(max_length=2)
    city: Text = Field(default="", max_length=120)
    services: list[Service] = Field(default_factory=list, sa_type=sa.JSON)
    contact: Text = Field(default="", max_length=300)
    # Days the organisation has to answer a referral: a pending referral is due after them.
    response_days: int = Field(default=10, ge=1, le=365)


class OrganisationCreate(OrganisationBase):
    pass


class OrganisationUpdate(SQLModel):
    name: Text | None = Field(default=None, min_length=2, max_length=200)
    org_type: OrgType | None = None
    country: CountryCode | None = None
    city: Text | None = Field(default=None, max_length=120)
    services: list[Service] | None = None
    contact: Text | None = Field(default=None, max_length=300)
    is_active: bool | None = None
    response_days: int | None = Field(default=None, ge=1, le=365)


class Organisation(OrganisationBase, table=True):
    __table_args__ = (sa.UniqueConstraint("name", "country"),)

    id: int | None = Field(default=None, primary_key=True)
    country: str = Field(max_length=2, index=True)
    is_active: bool = True
