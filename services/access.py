"""Who may do what. Every service function calls one of these before touching data."""

from collections.abc import Iterable

from sqlalchemy import ColumnElement, exists, false, or_, true
from sqlmodel import col, select

from models import CaseReferral, ReferralCase, UserAccount
from models.enums import Role
from services.errors import PermissionDenied

STAFF = (Role.coordinator, Role.admin)
DASHBOARD_READERS = (Role.coordinator, Role.manager, Role.admin)
CASE_WORKERS = (Role.officer, Role.coordinator, Role.admin)


def require_role(actor: UserAccount | None, roles: Iterable[Role]) -> UserAccount:
    """The actor, if active and of one of `roles`; otherwise PermissionDenied."""
    if actor is None or not actor.is_active:
        raise PermissionDenied("no active account")
    if actor.role not in tuple(roles):
        raise PermissionDenied(f"role {actor.role} may not do this")
    return actor


def case_scope(actor: UserAccount, *, correlated: bool = False) -> ColumnElement[bool]:
    """SQL condition for the cases an actor may read.

    Officers: their own country's cases, and cases referred across the border to an
    organisation in their country. Coordinators and admins: every case. Managers read
    aggregates only, never case rows.

    `correlated` writes the shared cases as a correlated EXISTS (same cases): a read ordered
    by an index can then stop after the rows it needs, where `IN (SELECT ...)` first collects
    every case shared with the country.
    """
    require_role(actor, CASE_WORKERS)
    if actor.role in STAFF:
        return true()
    if not actor.country:
        return false()
    own_country = col(ReferralCase.reporting_country) == actor.country
    if correlated:
        return or_(
            own_country,
            exists().where(
                col(CaseReferral.case_id) == col(ReferralCase.id),
                col(CaseReferral.cross_border_country) == actor.country,
            ),
        )
    shared_with_country = select(CaseReferral.case_id).where(
        col(CaseReferral.cross_border_country) == actor.country
    )
    return or_(own_country, col(ReferralCase.id).in_(shared_with_country))


# Which pages each role sees. app.py builds the navigation from this; the services behind
# each page enforce the same rules again, so hiding a page is never the only protection.
PAGE_ROLES: dict[str, tuple[Role, ...]] = {
    "home": tuple(Role),
    "courses": STAFF,
    "progress": (Role.officer, *DASHBOARD_READERS),
    "board": CASE_WORKERS,
    "new_referral": CASE_WORKERS,
    "reports": DASHBOARD_READERS,
    "admin": (Role.admin,),
}


def pages_for(actor: UserAccount) -> list[str]:
    if not actor.is_active:
        return []
    return [page for page, roles in PAGE_ROLES.items() if actor.role in roles]
