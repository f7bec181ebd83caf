"""Reports: referral statistics, aggregates only, small counts suppressed."""

import streamlit as st

from services import reports
from services.errors import PermissionDenied
from services.i18n import _
from services.runtime import current_actor, db_session, settings

actor = current_actor()
st.title(_("Reports"))
threshold = settings().small_count_threshold
st.caption(
    _(
        "Counts from 1 to {below} are shown as “<{threshold}” to protect the people concerned."
    ).format(below=threshold - 1, threshold=threshold)
    if threshold > 1
    else _("Aggregate counts of referral cases.")
)

try:
    with db_session() as session:
        by_stage = reports.cases_by_stage(session=session, actor=actor)
        by_country = reports.cases_by_country(session=session, actor=actor)
        by_situation = reports.cases_by_situation(session=session, actor=actor)
        by_month = reports.cases_by_month(session=session, actor=actor)
except PermissionDenied:
    st.error(_("Your role does not give access to reports."))
    st.stop()

if int(by_stage[reports.COUNT].sum()) == 0:
    st.info(_("No cases have been recorded yet."))
    st.stop()

left, right = st.columns(2)
left.altair_chart(reports.stage_chart(reports.suppress_small(by_stage, threshold)), width="stretch")
right.altair_chart(
    reports.situation_chart(reports.suppress_small(by_situation, threshold)), width="stretch"
)
st.altair_chart(
    reports.country_chart(reports.suppress_small(by_country, threshold)), width="stretch"
)
st.altair_chart(reports.month_chart(reports.suppress_small(by_month, threshold)), width="stretch")
