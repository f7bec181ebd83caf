"""Home: the signed-in person's summary — own course progress and own open cases."""

import pandas as pd
import streamlit as st

from models.enums import Role
from services.cases import board, partner
from services.courses import tables as course_tables
from services.platform import formatting
from services.platform.access import CASE_WORKERS
from services.platform.i18n import _
from services.platform.labels import label
from services.ui import runtime
from services.ui.runtime import current_actor
from services.ui.tables import show_frame

actor = current_actor()
st.title(_("Welcome, {name}").format(name=actor.display_name or actor.email))

if actor.role == Role.partner:
    # Partner staff take no course and read no case: their organisation's referrals.
    waiting = runtime.run_service(partner.count_waiting_referrals, actor=actor)
    st.header(_("Referrals to my organisation"))
    st.info(_("Waiting for your answer: {count}").format(count=waiting))
    st.page_link("pages/referrals.py", label=_("Answer referrals"), icon=":material/inbox:")
    st.page_link("pages/my_tasks.py", label=_("My tasks"), icon=":material/task_alt:")
    st.stop()

enrollments = runtime.my_enrollments(actor)
open_cases = (
    runtime.list_cases(actor, filters=board.OPEN_CASES, limit=20)
    if actor.role in CASE_WORKERS
    else []
)

st.header(_("My courses"))
if not enrollments:
    st.info(_("You are not enrolled in any course."))
for enrollment in enrollments:
    with st.container(border=True):
        st.subheader(enrollment.course_title)
        done, total = enrollment.completed_modules, enrollment.total_modules
        st.caption(
            _("{course} · {status} · final grade {grade}").format(
                course=enrollment.course_code,
                status=label(enrollment.status),
                grade=formatting.number(enrollment.final_grade),
            )
        )
        st.progress(
            done / total if total else 0.0,
            text=_("{done} of {total} modules completed").format(done=done, total=total),
        )
        if enrollment.modules:
            show_frame(course_tables.my_modules_table(enrollment), width="stretch")

if actor.role in CASE_WORKERS:
    st.header(_("Open cases") if actor.role != Role.officer else _("Open cases of my country"))
    if not open_cases:
        st.info(_("No open cases."))
    else:
        show_frame(
            pd.DataFrame(
                [
                    {
                        _("Case"): card.case_code,
                        _("Stage"): label(card.stage),
                        _("Urgency"): label(card.urgency),
                        _("Situation"): label(card.situation),
                        _("Days in stage"): card.days_in_stage,
                    }
                    for card in open_cases
                ]
            ),
            width="stretch",
        )
        st.page_link(
            "pages/board.py", label=_("Open the referral board"), icon=":material/view_kanban:"
        )
