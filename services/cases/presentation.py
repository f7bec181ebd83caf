"""Plain data for the pages: card lines, timeline sentences, a case's summary table."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

import pandas as pd
from pydantic import ValidationError

from models import (
    Case,
)
from models.enums import CaseEventKind
from services.cases.board import CaseCard, ReferralLine, TimelineEntry
from services.cases.outcomes import referral_outcome, transfer_outcome
from services.cases.records import ASSESSMENT_FIELDS, CASE_TEXT_FIELDS, FIELD_LABELS, stored_value
from services.platform import validation
from services.platform.i18n import _
from services.platform.labels import country_name, label

# --- presentation helpers (plain data for the pages) ------------------------------------


def card_lines(card: CaseCard) -> tuple[str, str]:
    """A board card's two plain-text lines: "code · urgency · age band[ · Minor]", then
    "situation · days in stage · assignee"."""
    minor = " · " + _("Minor") if card.is_minor else ""
    days = _("{days} days in stage").format(days=card.days_in_stage)
    return (
        f"{card.case_code} · {label(card.urgency)} · {card.age_band or '—'}{minor}",
        f"{label(card.situation)} · {days} · {card.assignee or _('Unassigned')}",
    )


def event_text(entry: TimelineEntry) -> str:
    """One line saying what happened, from the event's kind and coded details (never the note)."""
    details = entry.details
    what = label(entry.kind)
    if entry.kind == CaseEventKind.stage_change and details.get("to"):
        what += ": " + label(details.get("from")) + " → " + label(details["to"])
    elif entry.kind == CaseEventKind.referral_sent and details.get("organisation"):
        what += ": " + str(details["organisation"]) + " (" + str(details.get("country")) + ")"
        what += " · " + label(details.get("service"))
        if details.get("consent_override"):
            what += " · " + _("without consent, by coordinator override")
    elif entry.kind == CaseEventKind.referral_answered:
        what = referral_outcome(details, entry.note)
    elif entry.kind in (CaseEventKind.transfer_requested, CaseEventKind.transfer_answered):
        what = transfer_outcome(details, entry.note)
    elif entry.kind == CaseEventKind.assigned:
        what += ": " + str(details.get("to") or _("Unassigned"))
    elif entry.kind == CaseEventKind.assessment_updated and details.get("fields"):
        names = [_(FIELD_LABELS.get(name, name)) for name in details["fields"]]
        what += ": " + ", ".join(names)
    elif entry.kind == CaseEventKind.return_coordinated:
        parts = [details.get("counterpart"), details.get("travel_date")]
        what += ": " + " · ".join(str(part) for part in parts if part)
    stamp = entry.created_at.strftime("%Y-%m-%d %H:%M") + " UTC"
    return " · ".join([stamp, what, entry.author or "—"])


def shown_value(value: object) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(label(item) for item in value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return label(value)
    return label(str(value))


_SUMMARY_FIELDS = (
    "case_code",
    "stage",
    "urgency",
    "reporting_country",
    "identified_on",
    "gender",
    "age_band",
    "is_minor",
    "citizenship",
    "situation",
    "trafficking_status",
    "exploitation_types",
    "forced_labour_industries",
    "means_of_control",
    "indicators",
    "exploitation_country",
    "consent_given",
    "consent_date",
    "consent_scope",
    "needs",
    "version",
)
# Typed by people: shown by the page with st.text, never in a table or as markdown.
FREE_TEXT_FIELDS = CASE_TEXT_FIELDS


_COUNTRY_FIELDS = frozenset({"reporting_country", "citizenship", "exploitation_country"})
_VERBATIM_FIELDS = frozenset({"case_code", "version"})


def case_summary(case: Case) -> pd.DataFrame:
    """The coded fields of a case as (field, value) rows, translated; no free text."""

    def shown(name: str) -> str:
        value = getattr(case, name)
        if name in _VERBATIM_FIELDS:
            return str(value)
        if name in _COUNTRY_FIELDS and value:
            return f"{country_name(value)} ({value})"
        return shown_value(value)

    return pd.DataFrame(
        {
            _("Field"): [_(FIELD_LABELS[name]) for name in _SUMMARY_FIELDS],
            _("Value"): [shown(name) for name in _SUMMARY_FIELDS],
        }
    )


def referrals_frame(referrals: list[ReferralLine]) -> pd.DataFrame:
    rows = [
        {
            _("Organisation"): line.organisation_name,
            _("Country"): line.organisation_country,
            _("Service"): label(line.service),
            _("Sent on"): line.sent_on.isoformat(),
            _("State"): label(line.state),
            _("Answered on"): line.answered_on.isoformat() if line.answered_on else "—",
        }
        for line in referrals
    ]
    return pd.DataFrame(rows)


def validation_messages(error: ValidationError) -> list[str]:
    """One plain, translated message per problem, naming the form field where there is one."""
    return validation.messages(error, FIELD_LABELS)


@dataclass(frozen=True)
class FieldChange:
    """One field someone else changed while the user was editing: shown values, translated."""

    field: str
    label: str
    old: str
    new: str


_WATCHED_FIELDS = (
    *ASSESSMENT_FIELDS,
    "stage",
    "assigned_to_id",
    "closure_reason",
    "return_counterpart",
    "return_travel_date",
    "return_reception",
)


def case_snapshot(case: Case) -> dict[str, Any]:
    """The case's values as a user saw them, kept by the page to explain a later conflict."""
    return {name: stored_value(getattr(case, name)) for name in _WATCHED_FIELDS} | {
        "version": case.version
    }


def what_changed(before: Mapping[str, Any], case: Case) -> list[FieldChange]:
    """The fields of `case` that differ from the snapshot `before`, with shown values."""
    after = case_snapshot(case)
    changes = []
    for name in _WATCHED_FIELDS:
        if before.get(name) != after[name]:
            changes.append(
                FieldChange(
                    field=name,
                    label=_(FIELD_LABELS.get(name, name)),
                    old=shown_value(before.get(name)),
                    new=shown_value(after[name]),
                )
            )
    return changes
