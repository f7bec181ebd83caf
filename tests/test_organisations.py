"""The organisation directory: admins add and change entries, audited."""

import pytest
from sqlmodel import select

from models import AuditEvent, OrganisationCreate, OrganisationUpdate
from services.cases import organisations
from services.platform.errors import Conflict, PermissionDenied
from services.platform.i18n import set_language


def shelter() -> OrganisationCreate:
    return OrganisationCreate(
        name="Casa Refugio",
        org_type="NGO",
        country="PY",
        city="Asunción",
        services=["shelter", "psychosocial"],
    )


def test_admin_adds_an_organisation_and_it_is_audited(session, users):
    created = organisations.add_organisation(
        session=session, actor=users["admin"], organisation_in=shelter()
    )
    assert created.id and created.services == ["shelter", "psychosocial"]
    event = session.exec(
        select(AuditEvent).where(AuditEvent.action == "organisation_created")
    ).one()
    assert event.changes["name"] == [None, "Casa Refugio"]


def test_the_same_name_in_the_same_country_is_a_conflict(session, users):
    organisations.add_organisation(session=session, actor=users["admin"], organisation_in=shelter())
    with pytest.raises(Conflict, match="already in the directory") as refused:
        organisations.add_organisation(
            session=session, actor=users["admin"], organisation_in=shelter()
        )
    set_language("es")
    try:
        assert refused.value.translated() == "Casa Refugio (PY) ya está en el directorio."
    finally:
        set_language("en")


def test_admin_deactivates_an_organisation(session, users):
    created = organisations.add_organisation(
        session=session, actor=users["admin"], organisation_in=shelter()
    )
    updated = organisations.update_organisation(
        session=session,
        actor=users["admin"],
        organisation_id=created.id,
        organisation_in=OrganisationUpdate(is_active=False, city="Encarnación"),
    )
    assert not updated.is_active and updated.city == "Encarnación"


@pytest.mark.parametrize("role", ["coordinator", "manager", "officer_ar"])
def test_only_admins_keep_the_directory(session, users, role):
    with pytest.raises(PermissionDenied):
        organisations.add_organisation(
            session=session, actor=users[role], organisation_in=shelter()
        )
