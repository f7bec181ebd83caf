"""The admin's audit log as a person reads it: who (names), what (actions in words), which
record (case codes, names) and what changed ("Stage: Screening → Referred").

Filtering, paging and counting are SQL on `audit_event`'s indexes (action, actor_id,
created_at, entity + entity_id); the names and codes of one page are then looked up in a few
queries on the tables themselves (this layer may not import the case services).
"""

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from models import AuditEvent, Case, Organisation, Referral, UserAccount
from models.enums import Role
from services.platform import audit, formatting
from services.platform.access import require_role
from services.platform.errors import NotFound
from services.platform.i18n import N_, _
from services.platform.labels import country_name, label

CASE_ENTITY = Case.__tablename__
REFERRAL_ENTITY = Referral.__tablename__
EXPORT_BATCH = 1000
# The most rows one CSV of the log holds (about 1.5 s and 8 MB of memory to build, 3 MB):
# a longer log is downloaded period by period (the page says so before the download, and the
# file's last line says it was cut).
EXPORT_MAX_ROWS = 20_000
PAGE_SIZE = 50
# More field labels (the case form's), from the caller: this layer may not import them.
Labels = Mapping[str, str] | None
NO_SUCH_CASE = N_("There is no case {code}.")

# Bookkeeping a reader has no use for: the case's version counter (for stale forms).
UNSHOWN = frozenset({"version"})
# Fields whose value is a person, an organisation, a case or a country: shown by name.
PERSON_FIELDS = frozenset({"assigned_to_id", "reported_by_id", "actor_id", "account_id"})
COUNTRY_FIELDS = frozenset(
    {"country", "citizenship", "exploitation_country", "reporting_country", "destination_country"}
)

# What the log's fields and records are called (the case form's labels are passed in by the
# app, services/cases/records.FIELD_LABELS, which this layer may not import).
FIELD_LABELS: dict[str, str] = {
    "stage": N_("Stage"),
    "assigned_to_id": N_("Assigned to"),
    "reported_by_id": N_("Reported by"),
    "email": N_("Email"),
    "display_name": N_("Name"),
    "name": N_("Name"),
    "role": N_("Role"),
    "country": N_("Country"),
    "organisation_id": N_("Organisation"),
    "case_id": N_("Case"),
    "preferred_language": N_("Language"),
    "time_zone": N_("Time zone"),
    "is_active": N_("Active"),
    "state": N_("Status"),
    "service": N_("Service"),
    "sent_on": N_("Sent on"),
    "reason": N_("Reason"),
    "source": N_("Source"),
    "version": N_("Version"),
    "org_type": N_("Type"),
    "city": N_("City"),
    "services": N_("Services"),
    "contact": N_("Contact"),
    "rows": N_("Rows"),
    "filters": N_("Filters"),
}
# Who acted when no person did (users.system_actor, the demo seed).
SYSTEM_ACTORS = {"cli": N_("Command line"), "seed_demo": N_("Demo data")}
ENTITY_LABELS: dict[str, str] = {
    "referral_case": N_("Cases"),
    "case_referral": N_("Referrals"),
    "case_event": N_("Timeline entries"),
    "case_transfer": N_("Transfers"),
    "user_account": N_("Accounts"),
    "organisation": N_("Organisations"),
    "course": N_("Courses"),
    "module": N_("Modules"),
    "participant": N_("Participants"),
    "enrollment": N_("Enrollments"),
    "module_progress": N_("Module progress"),
    "database": N_("Database"),
    "page": N_("Page"),
    "audit_event": N_("Audit log"),
    "report": N_("Report"),
    "progress": N_("Progress"),
}


@dataclass(frozen=True)
class LogFilter:
    """What the reader asked for; empty means everything."""

    actions: tuple[str, ...] = ()
    person_id: int | None = None
    case_code: str = ""
    since: date | None = None
    until: date | None = None

    def described(self) -> dict[str, Any]:
        """The filter as the export's audit row records it (no free text)."""
        values = {
            "actions": list(self.actions),
            "person_id": self.person_id,
            "case_code": self.case_code.strip().upper(),
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }
        return {name: value for name, value in values.items() if value}


@dataclass(frozen=True)
class LogEntry:
    """One audit row in words."""

    id: int
    when: datetime
    who: str
    action: str
    record: str
    changes: str


@dataclass(frozen=True)
class LogPage:
    entries: list[LogEntry]
    total: int


@dataclass
class _Names:
    """The names and codes behind the ids of a batch of audit rows."""

    people: dict[int, str] = field(default_factory=dict)
    organisations: dict[int, str] = field(default_factory=dict)
    cases: dict[int, str] = field(default_factory=dict)
    referrals: dict[int, tuple[str, str]] = field(default_factory=dict)


def read_log(
    *,
    session: Session,
    actor: UserAccount,
    filters: LogFilter,
    page: int = 1,
    labels: Labels = None,
) -> LogPage:
    """One page of the audit log, newest first, in words (admins only)."""
    require_role(actor, (Role.admin,))
    condition = _condition(session, filters)
    total = session.exec(select(func.count()).select_from(AuditEvent).where(condition)).one()
    rows = session.exec(
        select(AuditEvent)
        .where(condition)
        .order_by(col(AuditEvent.id).desc())
        .offset((max(page, 1) - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    return LogPage(entries=describe(session, rows, labels), total=total)


def export_log(
    *,
    session: Session,
    actor: UserAccount,
    filters: LogFilter,
    labels: Labels = None,
    max_rows: int | None = None,
) -> bytes:
    """The filtered log as CSV (UTF-8 with BOM, for spreadsheets), newest first, at most
    `max_rows` rows (EXPORT_MAX_ROWS by default; then its last line says it was cut);
    audited. Read as one streamed query and written batch by batch, so only one batch of rows
    is held in words at a time."""
    require_role(actor, (Role.admin,))
    max_rows = EXPORT_MAX_ROWS if max_rows is None else max_rows
    chunks = [
        "\ufeff".encode(),
        _csv_rows([[_("When (UTC)"), _("Who"), _("Action"), _("Record"), _("Changes")]]),
    ]
    count = found = 0
    # One row more than the file holds: whether the log goes on past the cut.
    for entries in _entry_batches(session, filters, labels, limit=max_rows + 1):
        found += len(entries)
        kept = entries[: max_rows - count]
        chunks.append(_csv_rows(_csv_row(entry) for entry in kept))
        count += len(kept)
    if found > max_rows:
        chunks.append(_csv_rows([[_cut_notice(max_rows)]]))
    changes: dict[str, Any] = {"rows": [None, count], "filters": [None, filters.described()]}
    audit.record(
        session,
        actor=actor,
        action=audit.AuditAction.audit_log_exported,
        entity="audit_event",
        changes=changes,
    )
    session.flush()
    return b"".join(chunks)


def export_is_cut(total: int, *, max_rows: int | None = None) -> str | None:
    """What the page says before the download when the filtered log (`total` events) is more
    than one file holds (`max_rows`, EXPORT_MAX_ROWS by default); None when it all fits."""
    max_rows = EXPORT_MAX_ROWS if max_rows is None else max_rows
    if total <= max_rows:
        return None
    return _(
        "The filtered log has {total} events, more than one file holds ({most}): the file will "
        "have the newest {most} only. Narrow the period (From, To) to download the older ones."
    ).format(total=formatting.number(total), most=formatting.number(max_rows))


def _cut_notice(max_rows: int) -> str:
    """The file's last line when it was cut."""
    return _(
        "This file was cut at {most} events, the newest: the log has older ones that match. "
        "Narrow the period (From, To) to export them."
    ).format(most=formatting.number(max_rows))


def _csv_row(entry: LogEntry) -> list[str]:
    cells = [entry.who, entry.action, entry.record, entry.changes]
    return [entry.when.isoformat(sep=" ", timespec="seconds"), *map(_cell, cells)]


def _csv_rows(rows: Iterable[list[str]]) -> bytes:
    """Rows as CSV text, encoded: one batch of the file."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()


def _cell(text: str) -> str:
    """A cell a spreadsheet would run as a formula (a name like "=HYPERLINK(...)" given by a
    sign-in provider) starts with a quote, as in the app's other exports."""
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text


def _entry_batches(
    session: Session, filters: LogFilter, labels: Labels, *, limit: int
) -> Iterator[list[LogEntry]]:
    """The matching rows, newest first, at most `limit`, in words batch by batch: one query
    whose rows arrive `EXPORT_BATCH` at a time (a server-side cursor on PostgreSQL)."""
    query = (
        select(AuditEvent)
        .where(_condition(session, filters))
        .order_by(col(AuditEvent.id).desc())
        .limit(limit)
        .execution_options(yield_per=EXPORT_BATCH)
    )
    for rows in session.exec(query).partitions():
        # The session holds loaded rows weakly: a described batch is freed with the next.
        yield describe(session, rows, labels)


def _condition(session: Session, filters: LogFilter) -> sa.ColumnElement[bool]:
    conditions: list[sa.ColumnElement[bool]] = [sa.true()]
    if filters.actions:
        conditions.append(col(AuditEvent.action).in_(filters.actions))
    if filters.person_id is not None:
        conditions.append(col(AuditEvent.actor_id) == filters.person_id)
    if filters.since is not None:
        conditions.append(
            col(AuditEvent.created_at) >= datetime.combine(filters.since, time(), UTC)
        )
    if filters.until is not None:
        end = datetime.combine(filters.until + timedelta(days=1), time(), UTC)
        conditions.append(col(AuditEvent.created_at) < end)
    if filters.case_code.strip():
        conditions.append(_about_case(session, filters.case_code))
    return sa.and_(*conditions)


def _about_case(session: Session, code: str) -> sa.ColumnElement[bool]:
    """The rows about one case: the case itself and its referrals."""
    code = code.strip().upper()
    case_id = session.exec(select(Case.id).where(Case.case_code == code)).first()
    if case_id is None:
        raise NotFound(NO_SUCH_CASE, code=code)
    # The case's few referral ids as values, not a subquery: PostgreSQL then reads them
    # through the (entity, entity_id) index instead of every referral row of the log.
    referrals = session.exec(select(Referral.id).where(Referral.case_id == case_id)).all()
    referral_ids = [str(referral_id) for referral_id in referrals]
    return sa.or_(
        sa.and_(col(AuditEvent.entity) == CASE_ENTITY, col(AuditEvent.entity_id) == str(case_id)),
        sa.and_(
            col(AuditEvent.entity) == REFERRAL_ENTITY, col(AuditEvent.entity_id).in_(referral_ids)
        ),
    )


# --- in words -------------------------------------------------------------------------------


def describe(
    session: Session, rows: Sequence[AuditEvent], field_labels: Labels = None
) -> list[LogEntry]:
    """Audit rows in the reader's language, with names and codes instead of ids."""
    labels = {**FIELD_LABELS, **(field_labels or {})}
    names = _names(session, rows)
    return [
        LogEntry(
            id=row.id or 0,
            when=row.created_at,
            who=_who(row, names),
            action=audit.action_label(row.action),
            record=_record(row, names),
            changes="; ".join(
                _change(name, value, labels, names)
                for name, value in row.changes.items()
                if name not in UNSHOWN and not _blank(value)
            ),
        )
        for row in rows
    ]


def _ids(values: Iterable[Any]) -> set[int]:
    return {int(value) for value in values if str(value).isdigit()}


def _names(session: Session, rows: Sequence[AuditEvent]) -> _Names:
    def ids_of(entity: str) -> set[int]:
        return _ids(row.entity_id for row in rows if row.entity == entity)

    def values_of(fields: Iterable[str]) -> set[int]:
        wanted = frozenset(fields)
        return _ids(
            value
            for row in rows
            for name, pair in row.changes.items()
            if name in wanted and isinstance(pair, list)
            for value in pair
        )

    names = _Names()
    people = _ids(row.actor_id for row in rows) | ids_of("user_account") | values_of(PERSON_FIELDS)
    if people:
        query = select(UserAccount.id, UserAccount.display_name, UserAccount.email)
        for person_id, name, email in session.exec(query.where(col(UserAccount.id).in_(people))):
            names.people[person_id] = name or email  # type: ignore[index]
    referral_ids = ids_of(REFERRAL_ENTITY)
    if referral_ids:
        sent = (
            select(Referral.id, Case.case_code, Organisation.name)
            .join(Case, col(Case.id) == Referral.case_id)
            .join(Organisation, col(Organisation.id) == Referral.organisation_id)
        )
        for referral_id, code, organisation in session.exec(
            sent.where(col(Referral.id).in_(referral_ids))
        ):
            names.referrals[referral_id] = (code, organisation)  # type: ignore[index]
    cases = ids_of(CASE_ENTITY) | values_of({"case_id"})
    if cases:
        codes = select(Case.id, Case.case_code).where(col(Case.id).in_(cases))
        names.cases = {case_id: code for case_id, code in session.exec(codes)}  # type: ignore[misc]
    organisations = ids_of("organisation") | values_of({"organisation_id"})
    if organisations:
        directory = select(Organisation.id, Organisation.name)
        names.organisations = {
            org_id: name  # type: ignore[misc]
            for org_id, name in session.exec(
                directory.where(col(Organisation.id).in_(organisations))
            )
        }
    return names


def _who(row: AuditEvent, names: _Names) -> str:
    if row.actor_id is not None and row.actor_id in names.people:
        return names.people[row.actor_id]
    if row.actor_email in SYSTEM_ACTORS:
        return _(SYSTEM_ACTORS[row.actor_email])
    return row.actor_email or _("System")


def _record(row: AuditEvent, names: _Names) -> str:
    """The record an action was about: "Case AR-2026-0005", "Account: Ana Pérez"..."""
    key = int(row.entity_id) if row.entity_id.isdigit() else None
    if row.entity == CASE_ENTITY and key in names.cases:
        return _("Case {code}").format(code=names.cases[key])  # type: ignore[index]
    if row.entity == REFERRAL_ENTITY and key in names.referrals:
        code, organisation = names.referrals[key]  # type: ignore[index]
        return _("Referral of case {code} to {organisation}").format(
            code=code, organisation=organisation
        )
    if row.entity == "user_account" and key in names.people:
        return _("Account: {name}").format(name=names.people[key])  # type: ignore[index]
    if row.entity == "organisation" and key in names.organisations:
        return _("Organisation: {name}").format(name=names.organisations[key])  # type: ignore[index]
    if row.entity in (CASE_ENTITY, REFERRAL_ENTITY) and key is not None:
        return _("{what} (removed)").format(what=_(ENTITY_LABELS[row.entity]))
    what = _(ENTITY_LABELS[row.entity]) if row.entity in ENTITY_LABELS else row.entity
    if not row.entity_id or row.entity == "database":
        return what
    return f"{what}: {label(row.entity_id)}"


def _blank(pair: Any) -> bool:
    """A field that was empty and stays empty (a new record's unfilled fields)."""
    return isinstance(pair, list) and all(value in (None, "", []) for value in pair)


def _change(name: str, pair: Any, labels: Mapping[str, str], names: _Names) -> str:
    """One field's change: "Stage: Screening → Referred", "Assigned to: — → Ana Pérez"."""
    title = _(labels[name]) if name in labels else _entity_or_field(name)
    if not (isinstance(pair, list) and len(pair) == 2):
        return f"{title}: {_value(name, pair, names)}"
    old, new = pair
    return f"{title}: {_value(name, old, names)} → {_value(name, new, names)}"


def _entity_or_field(name: str) -> str:
    """A table's name (the seed's counts) or, for a field nobody has labelled, its words."""
    if name in ENTITY_LABELS:
        return _(ENTITY_LABELS[name])
    return name.replace("_", " ").capitalize()


def _value(name: str, value: Any, names: _Names) -> str:
    """A stored value in words: a person's or organisation's name, a case code, a country,
    a translated code; masked values stay masked."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(_value(name, item, names) for item in value)
    if isinstance(value, dict):
        return ", ".join(
            f"{_entity_or_field(key)}: {_value(key, item, names)}" for key, item in value.items()
        )
    if isinstance(value, int) and not isinstance(value, bool):
        lookups = {
            **dict.fromkeys(PERSON_FIELDS, names.people),
            "organisation_id": names.organisations,
            "case_id": names.cases,
        }
        found = lookups.get(name, {}).get(value)
        return found if found is not None else str(value)
    if name in COUNTRY_FIELDS and isinstance(value, str) and len(value) == 2:
        return country_name(value)
    return label(str(value))
