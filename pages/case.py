"""A case's own page, with a shareable address (`/case?code=AR-2026-0005`), and the search
over every case of the person's scope. Opening a case is audited (services/cases/board.py).

The case's detail and the forms to work it are services/ui/case_detail.py; the search box is
services/ui/case_search.py.
"""

import streamlit as st

from services.platform.i18n import _
from services.ui import case_detail, case_search
from services.ui.runtime import current_actor

actor = current_actor()
code = case_search.requested_code()

if not code:
    st.title(_("Find a case"))
    case_search.search_box(actor)
    st.stop()

st.page_link("pages/board.py", label=_("Referral board"), icon=":material/view_kanban:")
with st.expander(_("Find another case")):
    case_search.search_box(actor)

desk = case_detail.open_case(actor, code)
if desk is None:
    st.stop()
case_detail.show_case(desk)
