"""Who may do what. Every service function calls one of these before touching data."""

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, false, or_, true
from sqlmodel import col, select

from models import Case, CaseTransfer, Referral, UserAccount
from models.enums import Role, TransferState
from services.platform.errors import PermissionDenied
from services.platform.i18n import N_

STAFF = (Role.coordinator, Role.admin)
DASHBOARD_READERS = (Role.coordinator, Role.manager, Role.admin)
CASE_WORKERS = (Role.officer, Role.coordinator, Role.admin)
PROGRESS_READERS = (Role.officer, *DASHBOARD_READERS)


def require_role(actor: UserAccount | None, roles: Iterable[Role]) -> UserAccount:
    """The actor, if active and of one of `roles`; otherwise PermissionDenied."""
    if actor is None or not actor.is_active:
        raise PermissionDenied(N_("Your account is not active."))
    if actor.role not in tuple(roles):
        raise PermissionDenied(N_("Your role ({role}) does not allow this."), role=str(actor.role))
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
    # Their own country's cases: reported by it, or handed to it by a transfer; and a case
    # offered to it by a pending transfer, so that its officers can accept it.
    own_country = or_(
        col(Case.reporting_country) == actor.country,
        col(Case.responsible_country) == actor.country,
        exists().where(
            col(CaseTransfer.case_id) == col(Case.id),
            col(CaseTransfer.to_country) == actor.country,
            col(CaseTransfer.state) == TransferState.pending.value,
        ),
    )
    if correlated:
        return or_(
            own_country,
            exists().where(
                col(Referral.case_id) == col(Case.id),
                col(Referral.cross_border_country) == actor.country,
            ),
        )
    shared_with_country = select(Referral.case_id).where(
        col(Referral.cross_border_country) == actor.country
    )
    return or_(own_country, col(Case.id).in_(shared_with_country))


@dataclass(frozen=True)
class PageSpec:
    """One page of the app: its script, title (translated when shown), icon and roles."""

    key: str
    title: str
    icon: str
    roles: tuple[Role, ...]

    @property
    def path(self) -> str:
        return f"pages/{self.key}.py"


# The page registry, in sidebar order: app.py builds the navigation from it, the tests and
# the benchmark walk it. The services behind each page enforce the same rules again, so
# hiding a page is never the only protection.
PAGES: tuple[PageSpec, ...] = (
    PageSpec("home", N_("Home"), ":material/home:", tuple(Role)),
    PageSpec("courses", N_("Courses & enrollment"), ":material/school:", STAFF),
    PageSpec(
        "progress",
        N_("Progress by country"),
        ":material/public:",
        (Role.officer, *DASHBOARD_READERS),
    ),
    PageSpec("board", N_("Referral board"), ":material/view_kanban:", CASE_WORKERS),
    PageSpec("case", N_("Find a case"), ":material/search:", CASE_WORKERS),
    PageSpec("my_tasks", N_("My tasks"), ":material/task_alt:", (*CASE_WORKERS, Role.partner)),
    PageSpec("new_referral", N_("New referral"), ":material/person_add:", CASE_WORKERS),
    PageSpec("reports", N_("Reports & export"), ":material/bar_chart:", PROGRESS_READERS),
    PageSpec("admin", N_("Admin"), ":material/admin_panel_settings:", (Role.admin,)),
    PageSpec("referrals", N_("Referrals to my organisation"), ":material/inbox:", (Role.partner,)),
)
PAGE_ROLES: dict[str, tuple[Role, ...]] = {page.key: page.roles for page in PAGES}


def pages_for(actor: UserAccount) -> list[PageSpec]:
    """The pages an account sees, in sidebar order (none for a deactivated account)."""
    if not actor.is_active:
        return []
    return [page for page in PAGES if actor.role in page.roles]
