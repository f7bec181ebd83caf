"""The append-only audit log."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import utcnow


class AuditEvent(SQLModel, table=True):
    """Who did what to which record, written in the same transaction as the change."""

    __tablename__ = "audit_event"
    __table_args__ = (sa.Index("ix_audit_event_entity", "entity", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    actor_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    actor_email: str = Field(default="", max_length=254)
    action: str = Field(max_length=60, index=True)
    entity: str = Field(max_length=60)
    entity_id: str = Field(default="", max_length=60)
    # {"field": [old, new]}, sensitive values already masked.
    changes: dict = Field(default_factory=dict, sa_type=sa.JSON)
