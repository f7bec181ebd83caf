"""Organisations cases are referred to: admins keep the directory."""

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from models import Organisation, OrganisationCreate, OrganisationUpdate, UserAccount
from models.enums import Role
from services.platform import audit
from services.platform.access import require_role
from services.platform.errors import Conflict, NotFound
from services.platform.i18n import N_


def add_organisation(
    *, session: Session, actor: UserAccount, organisation_in: OrganisationCreate
) -> Organisation:
    require_role(actor, (Role.admin,))
    organisation = Organisation.model_validate(organisation_in)
    session.add(organisation)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(
            f"{organisation_in.name} ({organisation_in.country}) is already in the directory"
        ) from None
    audit.record(
        session,
        actor=actor,
        action=audit.AuditAction.organisation_created,
        entity="organisation",
        entity_id=organisation.id,
        changes=audit.diff({}, organisation_in.model_dump(mode="json")),
    )
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
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(N_("This organisation does not exist (any more)."))
    data = organisation_in.model_dump(mode="json", exclude_unset=True)
    before = {field: getattr(organisation, field) for field in data}
    organisation.sqlmodel_update(data)
    session.add(organisation)
    audit.record(
        session,
        actor=actor,
        action=audit.AuditAction.organisation_updated,
        entity="organisation",
        entity_id=organisation.id,
        changes=audit.diff(before, data),
    )
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(N_("Another organisation of that country already has this name.")) from None
    session.refresh(organisation)
    return organisation
