"""A referral's answer, and a transfer's, in words, for the case's timeline: "Referral to
Casa Refugio (Shelter) accepted", "… declined: <reason>". Read from the event's coded
details, in the reader's language; seeded referral events store the new state as `state`, the
app's as `to`."""

from collections.abc import Mapping
from typing import Any

from models.enums import ReferralState
from services.platform.i18n import N_, _
from services.platform.labels import country_name, label

OUTCOMES: dict[str, str] = {
    ReferralState.accepted.value: N_("Referral to {organisation} accepted"),
    ReferralState.declined.value: N_("Referral to {organisation} declined"),
    ReferralState.completed.value: N_("Referral to {organisation} completed"),
    ReferralState.withdrawn.value: N_("Referral to {organisation} withdrawn"),
    ReferralState.pending.value: N_("Referral to {organisation} pending"),
}


def referral_outcome(details: Mapping[str, Any], note: str = "") -> str:
    """The sentence of one `referral_answered` event; a decline ends with its reason."""
    state = str(details.get("to") or details.get("state") or "")
    organisation = str(details.get("organisation") or "—")
    if details.get("service"):
        organisation += " (" + label(str(details["service"])) + ")"
    template = OUTCOMES.get(state)
    if template is None:
        return label(state)
    sentence = _(template).format(organisation=organisation)
    if state == ReferralState.declined.value and note.strip():
        sentence += ": " + note.strip()
    return sentence


TRANSFERS: dict[str, str] = {
    "pending": N_("Transfer of responsibility to {country} requested"),
    "accepted": N_("Transfer of responsibility to {country} accepted"),
    "declined": N_("Transfer of responsibility to {country} declined"),
}


def transfer_outcome(details: Mapping[str, Any], note: str = "") -> str:
    """The sentence of a transfer event: requested, accepted, or declined with its reason."""
    state = str(details.get("state") or "pending")
    country = country_name(str(details.get("to") or ""))
    sentence = _(TRANSFERS.get(state, TRANSFERS["pending"])).format(country=country)
    if state == "declined" and note.strip():
        sentence += ": " + note.strip()
    return sentence
