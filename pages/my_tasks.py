"""My tasks: what is due for the signed-in person — the follow-ups of their cases and the
referrals whose answer is late — earliest first, each linking to its case."""

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from services.cases import task_text, tasks
from services.platform.errors import PermissionDenied
from services.platform.i18n import _
from services.platform.labels import label
from services.ui import runtime
from services.ui.runtime import current_actor
from services.ui.tables import show_frame

actor = current_actor()
st.title(_("My tasks"))
st.caption(
    _(
        "The follow-ups of your cases and the referrals still waiting for an answer, due by "
        "the coming {days} days. Open a case to work it; its new follow-up date is set when it "
        "moves or is referred."
    ).format(days=tasks.SOON_DAYS)
)

today = datetime.now(UTC).date()
try:
    found = runtime.run_service(tasks.list_tasks, actor=actor, today=today)
except PermissionDenied:
    st.error(_("Your role does not give access to case records."))
    st.stop()

if not found:
    st.success(_("Nothing is due: no follow-up and no late referral in the coming days."))
    st.stop()

st.markdown(task_text.counts(found, today))
STATUS, DUE, CASE, WHAT, URGENCY = _("Status"), _("Due"), _("Case"), _("To do"), _("Urgency")
table = pd.DataFrame(
    [
        {
            STATUS: task_text.status(task, today),
            DUE: task.due_on,
            CASE: task_text.task_link(task),
            WHAT: task_text.what(task),
            URGENCY: label(task.urgency),
        }
        for task in found
    ]
)
show_frame(
    table,
    width="stretch",
    column_config={CASE: st.column_config.LinkColumn(CASE, display_text=r"case=(.*)$")},
    key="my_tasks_table",
)
if len(found) >= tasks.MAX_TASKS:
    st.caption(_("Only the first {count} of each kind are listed.").format(count=tasks.MAX_TASKS))
