"""One row, the way every service reads and writes it: the row or NotFound, a flush whose
broken unique constraint is a Conflict, an update written with its audit row."""

from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

from models import UserAccount
from services.platform import audit
from services.platform.errors import Conflict, NotFound

Row = TypeVar("Row", bound=SQLModel)


def existing_row(session: Session, model: type[Row], row_id: int, missing: str) -> Row:
    """The row of `model` with this id; NotFound(`missing`, a message id) when there is none."""
    row = session.get(model, row_id)
    if row is None:
        raise NotFound(missing)
    return row


def flush_or_conflict(session: Session, conflict: Conflict) -> None:
    """Flush; when a unique constraint refuses the rows, roll back and raise `conflict`."""
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise conflict from None


def update_audited(
    session: Session,
    row: Any,
    values: dict[str, Any],
    *,
    actor: UserAccount,
    action: audit.AuditAction,
    also_unchanged: bool = False,
    source: str | None = None,
) -> dict[str, list[Any]]:
    """Set `values` on `row` and record the fields that changed ({field: [old, new]}).

    Nothing is written when no field changes, unless `also_unchanged` (then the audit row
    is recorded all the same). `source` adds where the values came from (an import).
    """
    before = {name: getattr(row, name) for name in values}
    changes = audit.diff(before, values)
    if not changes and not also_unchanged:
        return changes
    row.sqlmodel_update(values)
    session.add(row)
    audit.record_row(session, actor, action, row, changes, source)
    return changes
