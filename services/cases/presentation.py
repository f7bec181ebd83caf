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
from models.base import utcnow
from models.enums import CaseEventKind
from services.cases.board import CaseCard, ReferralLine, TimelineEntry
from services.cases.outcomes import referral_outcome, transfer_outcome
from services.cases.records import ASSESSMENT_FIELDS, CASE_TEXT_FIELDS, FIELD_LABELS, stored_value
from services.platform import formatting, validation
from services.platform.i18n import _, ngettext
from services.platform.labels import country_name, label

# --- presentation helpers (plain data for the pages) ------------------------------------


def card_lines(card: CaseCard) -> tuple[str, str]:
    """A board card's two plain-text lines: "code · urgency · age band[ · Minor]", then
    "situation · days in stage · assignee"."""
    minor = " · " + _("Minor") if card.is_minor else ""
    days = formatting.counted(
        ngettext("{count} day in stage", "{count} days in stage", card.days_in_stage),
        card.days_in_stage,
    )
    due = follow_up_mark(card.next_follow_up_on, utcnow().date())
    return (
        f"{card.case_code} · {label(card.urgency)} · {card.age_band or '—'}{minor}",
        f"{due}{label(card.situation)} · {days} · {card.assignee or _('Unassigned')}",
    )


def follow_up_mark(due_on: date | None, today: date) -> str:
    """A card's follow-up in a mark and words, not colour alone: "⚠ Overdue since 28 Nov · ",
    "⏰ Follow-up due today · ", or nothing while it is further off."""
    if due_on is None or due_on > today:
        return ""
    if due_on == today:
        return "⏰ " + _("Follow-up due today") + " · "
    return (
        "⚠ " + _("Follow-up overdue since {date}").format(date=formatting.date_text(due_on)) + " · "
    )


def event_text(entry: TimelineEntry) -> str:
    """One line saying what happened, from the event's kind and coded details (never the note)."""
    details = entry.details
    what = label(entry.kind)
    if entry.kind == CaseEventKind.stage_change and details.get("to"):
        what += ": " + label(details.get("from")) + " → " + label(details["to"])
    elif entry.kind == CaseEventKind.referral_sent and details.get("organisation"):
        country = details.get("country") or details.get("cross_border_country")
        what += ": " + str(details["organisation"]) + (f" ({country})" if country else "")
        what += " · " + label(details.get("service"))
        if details.get("consent_override"):
            what += " · " + _("without consent, by coordinator override")
    elif entry.kind == CaseEventKind.referral_answered:
        what = referral_outcome(details, entry.note)
    elif entry.kind in (CaseEventKind.transfer_requested, CaseEventKind.transfer_answered):
        what = transfer_outcome(details, entry.note)
    elif entry.kind == CaseEventKind.assigned:
        after = str(details.get("to") or _("Unassigned"))
        what += ": " + (f"{details['from'] or '—'} → {after}" if "from" in details else after)
    elif entry.kind == CaseEventKind.assessment_updated and details.get("changes"):
        what += ": " + "; ".join(
            f"{_(FIELD_LABELS.get(name, name))}: "
            + f"{field_value(name, old)} → {field_value(name, new)}"
            for name, (old, new) in details["changes"].items()
        )
        free_text = [name for name in details.get("fields", []) if name not in details["changes"]]
        if free_text:
            what += "; " + ", ".join(_(FIELD_LABELS.get(name, name)) for name in free_text)
    elif entry.kind == CaseEventKind.assessment_updated and details.get("fields"):
        names = [_(FIELD_LABELS.get(name, name)) for name in details["fields"]]
        what += ": " + ", ".join(names)
    elif entry.kind == CaseEventKind.return_coordinated:
        parts = [details.get("counterpart"), details.get("travel_date")]
        what += ": " + " · ".join(str(part) for part in parts if part)
    stamp = formatting.datetime_text(entry.created_at)
    return " · ".join([stamp, what, entry.author or "—"])


def shown_value(value: object) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(label(item) for item in value)
    if isinstance(value, date):
        return formatting.date_text(value)
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
    "screening_indicators",
    "screening_suggestion",
    "initial_situation",
    "version",
)
# Typed by people: shown by the page with st.text, never in a table or as markdown.
FREE_TEXT_FIELDS = CASE_TEXT_FIELDS


_COUNTRY_FIELDS = frozenset({"reporting_country", "citizenship", "exploitation_country"})
_VERBATIM_FIELDS = frozenset({"case_code", "version"})


def field_value(name: str, value: Any) -> str:
    """A case field's value as a reader sees it: a country by name, codes as labels."""
    if name in _VERBATIM_FIELDS:
        return str(value)
    if name in _COUNTRY_FIELDS and value:
        return f"{country_name(value)} ({value})"
    return shown_value(value)


def case_summary(case: Case) -> pd.DataFrame:
    """The coded fields of a case as (field, value) rows, translated; no free text."""

    def shown(name: str) -> str:
        return field_value(name, getattr(case, name))

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
            _("Sent on"): formatting.date_text(line.sent_on),
            _("State"): label(line.state),
            _("Answered on"): formatting.date_text(line.answered_on) or "—",
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


def what_changed(
    before: Mapping[str, Any], case: Case, people: Mapping[int, str] | None = None
) -> list[FieldChange]:
    """The fields of `case` that differ from the snapshot `before`, with shown values: stages
    and codes as labels, an assignee by name (`people`: {account id: name}), never an id."""
    after = case_snapshot(case)

    def shown(name: str, value: Any) -> str:
        if name == "assigned_to_id" and value is not None:
            return (people or {}).get(value) or _("Someone else")
        return shown_value(value)

    changes = []
    for name in _WATCHED_FIELDS:
        if before.get(name) != after[name]:
            changes.append(
                FieldChange(
                    field=name,
                    label=_(FIELD_LABELS.get(name, name)),
                    old=shown(name, before.get(name)),
                    new=shown(name, after[name]),
                )
            )
    return changes
