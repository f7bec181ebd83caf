"""Fixtures of the receiving side (a pytest plugin named in `tests/conftest.py`): two partner
organisations with one account each, and a case referred to each."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from sqlmodel import Session

from models import Case, Organisation, Referral, UserAccount
from models.enums import OrgType, Role, Service
from services.cases import records as cases


@dataclass
class Partners:
    """The organisations, their staff, and `refer(case, organisation)`."""

    shelter_py: Organisation
    legal_br: Organisation
    ngo_py: UserAccount
    ngo_br: UserAccount
    refer: Callable[[Case, Organisation], Referral]


@pytest.fixture
def partners(session: Session, users: dict[str, UserAccount]) -> Partners:
    """A Paraguayan shelter and a Brazilian legal service, each with a partner account; the
    coordinator refers cases to them (`partners.refer(case, organisation)`)."""
    shelter = Organisation(
        name="Casa Refugio", org_type=OrgType.NGO, country="PY", services=[Service.shelter]
    )
    legal = Organisation(
        name="Defensoria BR", org_type=OrgType.LegalService, country="BR", services=[Service.legal]
    )
    session.add_all([shelter, legal])
    session.flush()
    staff = [
        UserAccount(email=email, role=Role.partner, organisation_id=org.id, display_name=email)
        for email, org in (("ngo.py@enlace.test", shelter), ("ngo.br@enlace.test", legal))
    ]
    session.add_all(staff)
    session.commit()

    def refer(case: Case, organisation: Organisation) -> Referral:
        session.refresh(case)
        referral = cases.refer_case(
            session=session,
            actor=users["coordinator"],
            case_code=case.case_code,
            organisation_id=organisation.id or 0,
            service=organisation.services[0],
            sent_on=date(2026, 3, 3),
            expected_version=case.version,
        )
        session.commit()
        return referral

    return Partners(shelter, legal, staff[0], staff[1], refer)


CONSENT = {
    "consent_given": True,
    "consent_date": date(2026, 3, 2),
    "consent_scope": ["service_providers"],
}


@pytest.fixture
def referred(
    users: dict[str, UserAccount], partners: Partners, open_case: Callable[..., Case]
) -> tuple[Referral, Referral]:
    """Two Argentine cases with consent to share with service providers: K.L. referred to the
    Paraguayan shelter, P.Q. to the Brazilian legal service."""
    to_py = open_case(users["officer_ar"], person_alias="K.L.", **CONSENT)
    to_br = open_case(users["officer_ar"], person_alias="P.Q.", **CONSENT)
    return partners.refer(to_py, partners.shelter_py), partners.refer(to_br, partners.legal_br)
