"""A partner's tasks: the referrals addressed to their organisation, still to be answered by
their due date; never another organisation's, and gone once answered."""

from models import Case, ReferralUpdate
from models.enums import ReferralState
from services.cases import partner, task_text, tasks


def test_a_partner_is_to_answer_the_referrals_to_their_organisation_only(
    session, partners, referred
):
    to_shelter, to_legal = referred
    shelter_case = session.get(Case, to_shelter.case_id)

    found = tasks.list_tasks(session=session, actor=partners.ngo_py)
    assert [(task.kind, task.case_code) for task in found] == [
        (tasks.TaskKind.answer, shelter_case.case_code)
    ]
    assert task_text.task_link(found[0]) == "/referrals"  # partners have no case page
    assert shelter_case.case_code in task_text.what(found[0])
    legal_codes = {
        task.case_code for task in tasks.list_tasks(session=session, actor=partners.ngo_br)
    }
    assert legal_codes == {session.get(Case, to_legal.case_id).case_code}

    partner.answer_partner_referral(
        session=session,
        actor=partners.ngo_py,
        referral_id=to_shelter.id,
        answer=ReferralUpdate(state=ReferralState.accepted),
        expected_state=ReferralState.pending,
    )
    session.commit()
    assert tasks.list_tasks(session=session, actor=partners.ngo_py) == []
