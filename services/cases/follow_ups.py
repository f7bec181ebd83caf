"""Follow-ups: when someone should next look at a case, and when an organisation's answer to a
referral is due. The rules are here; the writes of `intake` and `records` call them.

- Opening a case and each stage move set the next follow-up to the day the stage's period
  ends (`STAGE_FOLLOW_UP_DAYS`); a closed case has none.
- Sending a referral makes its answer due `Organisation.response_days` after it was sent, and
  brings the case's follow-up forward to that day if it was later.
"""

from datetime import date, timedelta

from models import Organisation
from models.enums import Stage

# Days until the next look at a case that has just entered the stage. A person just
# identified needs a screening interview within days (3); screening should not take more
# than a week (7); a referred case is checked a fortnight on (14; the referrals' own answer
# dates come earlier); assistance plans are reviewed monthly (30); a return is followed
# every fortnight until the travel and the reception are in place (14).
STAGE_FOLLOW_UP_DAYS: dict[Stage, int] = {
    Stage.identified: 3,
    Stage.screening: 7,
    Stage.referred: 14,
    Stage.assistance: 30,
    Stage.return_reintegration: 14,
}

# An organisation's response period until the admin sets another (Organisation.response_days).
DEFAULT_RESPONSE_DAYS = 10


def after_move(stage: Stage | str, today: date) -> date | None:
    """The next follow-up of a case that enters `stage` today (None once closed)."""
    days = STAGE_FOLLOW_UP_DAYS.get(Stage(stage))
    return None if days is None else today + timedelta(days=days)


def response_due(sent_on: date, organisation: Organisation) -> date:
    """The day the organisation's answer to a referral sent on `sent_on` is due."""
    return sent_on + timedelta(days=organisation.response_days)


def after_referral(current: date | None, due: date) -> date:
    """The case's next follow-up once a referral is due on `due`: whichever comes first."""
    return due if current is None else min(current, due)
