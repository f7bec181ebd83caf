"""Organisations cases are referred to: admins keep the directory."""

from sqlmodel import Session, col, select

from models import Organisation, OrganisationCreate, OrganisationUpdate, UserAccount
from models.enums import Role
from services.platform import audit
from services.platform.access import require_role
from services.platform.errors import Conflict
from services.platform.i18n import N_
from services.platform.rows import existing_row, flush_or_conflict, update_audited


def add_organisation(
    *, session: Session, actor: UserAccount, organisation_in: OrganisationCreate
) -> Organisation:
    require_role(actor, (Role.admin,))
    organisation = Organisation.model_validate(organisation_in)
    session.add(organisation)
    flush_or_conflict(
        session,
        Conflict(
            N_("{name} ({country}) is already in the directory."),
            name=organisation_in.name,
            country=organisation_in.country,
        ),
    )
    created = audit.diff({}, organisation_in.model_dump(mode="json"))
    audit.record_row(session, actor, audit.AuditAction.organisation_created, organisation, created)
    session.flush()
    session.refresh(organisation)
    return organisation


def update_organisation(
    *,
    session: Session,
    actor: UserAccount,
    organisation_id: int,
    organisation_in: OrganisationUpdate,
) -> Organisation:
    require_role(actor, (Role.admin,))
    organisation = existing_row(
        session,
        Organisation,
        organisation_id,
        N_("This organisation does not exist (any more)."),
    )
    update_audited(
        session,
        organisation,
        organisation_in.model_dump(mode="json", exclude_unset=True),
        actor=actor,
        action=audit.AuditAction.organisation_updated,
        also_unchanged=True,
    )
    flush_or_conflict(
        session, Conflict(N_("Another organisation of that country already has this name."))
    )
    session.refresh(organisation)
    return organisation


def has_partner_staff(session: Session, organisation_id: int) -> bool:
    """Whether the organisation answers its referrals itself: an active partner account."""
    staff = select(UserAccount.id).where(
        col(UserAccount.organisation_id) == organisation_id,
        col(UserAccount.role) == Role.partner.value,
        col(UserAccount.is_active),
    )
    return session.exec(staff.limit(1)).first() is not None
