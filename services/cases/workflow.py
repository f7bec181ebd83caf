"""The case workflow's rules: who may do what on a case, stage moves, referrals and consent.

Plain functions over plain values (no database): services/cases/storage.py loads the case
and asks these rules; services/cases/records.py only then writes. The rules, in one table
(✓ allowed, — refused):

Parties: home = officer of the case's reporting country; shared = officer of a country the
case was referred to across the border (Referral.cross_border_country).

| action             | home  | shared | coordinator | admin | manager |
|--------------------|:-----:|:------:|:-----------:|:-----:|:-------:|
| read the case      |   ✓   |   ✓    |      ✓      |   ✓   |    —    |
| comment (note)     |   ✓   |   ✓    |      ✓      |   ✓   |    —    |
| edit assessment    |   ✓   |   —    |      ✓      |   ✓   |    —    |
| assign             |   ✓   |   —    |      ✓      |   ✓   |    —    |
| move stage         |   ✓   |   —    |      ✓      |   ✓   |    —    |
| refer (consent)    |   ✓   |   —    |      ✓      |   ✓   |    —    |
| override consent   |   —   |   —    |      ✓      |   —   |    —    |
| answer a referral  |   ✓   |  ✓ ¹   |      ✓      |   ✓   |    —    |
| record the return  |   ✓   |   ✓    |      ✓      |   ✓   |    —    |
| request a transfer |   ✓   |   —    |      ✓      |   ✓   |    —    |

¹ Only a referral to an organisation of the officer's own country, and only on behalf of an
organisation without partner accounts in Enlace (one with accounts answers for itself,
services/cases/partner.py): `check_shared_answer`.

Exports (services/cases.case_export): case workers export the cases they may read; managers
never see case rows in the app and export only the de-identified HTCDS layout.

Stage rules (`check_move`): any stage may be chosen, but `referred`, `assistance` and
`return_reintegration` need at least one referral that is pending, accepted or completed;
`closed` needs a closure reason; a move back (reopening included) needs a note. A referral
needs the person's consent with the right scope (`consent_covers`), or a coordinator's
override with a written reason; referral answers go pending → accepted / declined (reason) /
withdrawn, accepted → completed / withdrawn.

An officer of any other country does not know the case exists (NotFound, not PermissionDenied).
"""

from enum import StrEnum

from models import UserAccount
from models.enums import STAGE_ORDER, ConsentScope, OrgType, ReferralState, Role, Stage
from services.platform.errors import Conflict, PermissionDenied
from services.platform.i18n import N_


class Action(StrEnum):
    read = "read"
    comment = "comment"
    edit_assessment = "edit_assessment"
    assign = "assign"
    move_stage = "move_stage"
    refer = "refer"
    override_consent = "override_consent"
    answer_referral = "answer_referral"
    record_return = "record_return"
    request_transfer = "request_transfer"


class Party(StrEnum):
    """How the acting person stands to one case."""

    home_officer = "home_officer"  # officer of the case's reporting country
    shared_officer = "shared_officer"  # officer of a country the case was referred to
    coordinator = "coordinator"
    admin = "admin"
    manager = "manager"
    outsider = "outsider"  # officer of any other country, or an inactive account


_WORKERS = frozenset({Party.home_officer, Party.coordinator, Party.admin})
PERMISSIONS: dict[Action, frozenset[Party]] = {
    Action.read: _WORKERS | {Party.shared_officer},
    Action.comment: _WORKERS | {Party.shared_officer},
    Action.edit_assessment: _WORKERS,
    Action.assign: _WORKERS,
    Action.move_stage: _WORKERS,
    Action.refer: _WORKERS,
    # A protection judgement: only the programme's coordinators may refer without consent.
    Action.override_consent: frozenset({Party.coordinator}),
    # The receiving country's officer answers for its organisations and records the return.
    Action.answer_referral: _WORKERS | {Party.shared_officer},
    Action.record_return: _WORKERS | {Party.shared_officer},
    # Handing the case to another country: services/cases/transfers.py.
    Action.request_transfer: _WORKERS,
}

# Stages the person can only be in once referred to at least one organisation.
NEEDS_REFERRAL = frozenset({Stage.referred, Stage.assistance, Stage.return_reintegration})
# Referrals that still count as "referred": not declined, not withdrawn.
LIVE_REFERRAL_STATES = frozenset(
    {ReferralState.pending, ReferralState.accepted, ReferralState.completed}
)
REFERRAL_TRANSITIONS: dict[ReferralState, frozenset[ReferralState]] = {
    ReferralState.pending: frozenset(
        {ReferralState.accepted, ReferralState.declined, ReferralState.withdrawn}
    ),
    ReferralState.accepted: frozenset({ReferralState.completed, ReferralState.withdrawn}),
    ReferralState.declined: frozenset(),
    ReferralState.completed: frozenset(),
    ReferralState.withdrawn: frozenset(),
}
# Organisations that act for a state: sharing with them needs consent to share with authorities
# when they are of the person's own country (the country of origin).
AUTHORITY_TYPES = frozenset(
    {
        OrgType.CentralGovernmentOrganisation,
        OrgType.LocalGovernmentOrganisation,
        OrgType.LawEnforcement,
        OrgType.ImmigrationService,
        OrgType.Consulate,
    }
)

# Refusal messages: pages show them translated, `_(str(error))`.
NOT_ALLOWED = N_("Your role does not allow this on this case.")
SAME_STAGE = N_("The case is already in this stage.")
NEEDS_A_REFERRAL = N_(
    "Refer the person to at least one organisation (not declined or withdrawn) before moving "
    "the case to this stage."
)
NEEDS_CLOSURE_REASON = N_("Give the reason for closing the case.")
NEEDS_BACK_NOTE = N_("Moving a case back needs a note saying why.")
NEEDS_CONSENT = N_(
    "The person's consent does not cover this referral. Record consent with the right scope, "
    "or ask a coordinator to override it with a written reason."
)
ONLY_COORDINATOR_OVERRIDES = N_("Only a coordinator may refer without the person's consent.")
NEEDS_OVERRIDE_REASON = N_("Write the reason for referring without consent.")
BAD_REFERRAL_ANSWER = N_("A referral cannot go from its current state to the one chosen.")
RETURN_STAGE_ONLY = N_("Return details are recorded in the return & reintegration stage.")
NOT_YOUR_COUNTRYS_REFERRAL = N_(
    "You may answer only the referrals to organisations of your own country."
)
ANSWERS_ITSELF = N_("This organisation answers its referrals itself in Enlace.")


def party(actor: UserAccount, *, reporting_country: str, shared_countries: set[str]) -> Party:
    """How `actor` stands to a case of `reporting_country` shared with `shared_countries`."""
    if not actor.is_active:
        return Party.outsider
    if actor.role == Role.coordinator:
        return Party.coordinator
    if actor.role == Role.admin:
        return Party.admin
    if actor.role == Role.manager:
        return Party.manager
    if actor.country and actor.country == reporting_country:
        return Party.home_officer
    if actor.country and actor.country in shared_countries:
        return Party.shared_officer
    return Party.outsider


def may(who: Party, action: Action) -> bool:
    return who in PERMISSIONS[action]


def allowed_actions(who: Party) -> frozenset[Action]:
    return frozenset(action for action in Action if may(who, action))


def require(who: Party, action: Action) -> None:
    if not may(who, action):
        raise PermissionDenied(NOT_ALLOWED)


def is_backwards(current: Stage, target: Stage) -> bool:
    return STAGE_ORDER.index(target) < STAGE_ORDER.index(current)


def check_move(
    *,
    current: Stage,
    target: Stage,
    live_referrals: int,
    note: str = "",
    closure_reason: str | None = None,
) -> None:
    """Conflict unless `current` → `target` keeps the board's rules."""
    if current == target:
        raise Conflict(SAME_STAGE)
    if target in NEEDS_REFERRAL and live_referrals < 1:
        raise Conflict(NEEDS_A_REFERRAL)
    if target == Stage.closed and not (closure_reason or "").strip():
        raise Conflict(NEEDS_CLOSURE_REASON)
    if is_backwards(current, target) and not note.strip():
        raise Conflict(NEEDS_BACK_NOTE)


def consent_covers(
    *,
    consent_given: bool,
    consent_scope: list[str],
    organisation_country: str,
    organisation_type: str,
    citizenship: str | None,
) -> bool:
    """Whether the person's consent covers sharing their case with this organisation.

    Authorities of the person's own country need the 'origin_authorities' scope; every other
    organisation (shelters, NGOs, IOM, services abroad) needs 'service_providers'.
    """
    if not consent_given:
        return False
    scopes = {str(scope) for scope in consent_scope}
    origin_authority = (
        citizenship is not None
        and organisation_country == citizenship
        and organisation_type in AUTHORITY_TYPES
    )
    needed = ConsentScope.origin_authorities if origin_authority else ConsentScope.service_providers
    return needed.value in scopes


def check_referral_consent(*, who: Party, covered: bool, override_reason: str | None) -> None:
    """A referral needs consent, or a coordinator's override with a written reason."""
    if covered:
        return
    if override_reason is None:
        raise Conflict(NEEDS_CONSENT)
    if not may(who, Action.override_consent):
        raise PermissionDenied(ONLY_COORDINATOR_OVERRIDES)
    if not override_reason.strip():
        raise Conflict(NEEDS_OVERRIDE_REASON)


def check_referral_answer(current: ReferralState, new: ReferralState) -> None:
    if new not in REFERRAL_TRANSITIONS[current]:
        raise Conflict(BAD_REFERRAL_ANSWER)


def next_referral_states(current: str) -> list[str]:
    """The states a referral may move to from `current`, in a stable order."""
    allowed = REFERRAL_TRANSITIONS[ReferralState(current)]
    return [state.value for state in ReferralState if state in allowed]


def next_stage(current: Stage) -> Stage | None:
    """The board's next column after `current` (None for a closed case): a form's default."""
    position = STAGE_ORDER.index(current) + 1
    return STAGE_ORDER[position] if position < len(STAGE_ORDER) else None


def check_shared_answer(
    *, who: Party, actor_country: str | None, referral_country: str | None, has_staff: bool
) -> None:
    """A shared officer answers only a referral to their own country's organisation, and only
    for an organisation that has no partner accounts of its own."""
    if who != Party.shared_officer:
        return
    if not actor_country or referral_country != actor_country:
        raise PermissionDenied(NOT_YOUR_COUNTRYS_REFERRAL)
    if has_staff:
        raise Conflict(ANSWERS_ITSELF)
