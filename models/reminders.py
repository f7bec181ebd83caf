"""What the e-mail reminders already told each person, so no reminder is sent twice."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import CODE, utcnow


class ReminderSent(SQLModel, table=True):
    """One due item (a case's follow-up or a referral's answer) reminded to one person for
    one due date. A new due date is a new reminder; the same one is never sent again."""

    __tablename__ = "reminder_sent"
    __table_args__ = (sa.UniqueConstraint("user_id", "item_kind", "item_id", "due_on"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE")
    # "follow_up" (item_id: the case) or "referral" (item_id: the referral).
    item_kind: str = Field(sa_type=CODE)
    item_id: int
    due_on: date
    sent_at: datetime = Field(default_factory=utcnow)
