"""New referral: the consular officer's form that opens a case.

Every widget has a key, so a failed submit keeps everything typed; the messages appear next
to the fields they are about. A saved case shows its code and a link to it on the board.
"""

import streamlit as st

from models.enums import Role
from services.cases import intake as cases
from services.platform.access import CASE_WORKERS, require_role
from services.platform.errors import Conflict, EnlaceError, PermissionDenied
from services.platform.i18n import _
from services.ui import case_search
from services.ui.case_form import NEW_CASE, CaseForm, case_fields, screening_section
from services.ui.feedback import show_error
from services.ui.runtime import clear_caches, current_actor, db_session

PREFIX = "nr_"
CREATED = "nr_created_case"

actor = current_actor()
st.title(_("New referral"))
st.caption(
    _(
        "Record the minimum needed to help the person. No names, document numbers, phones, "
        "e-mails or street addresses anywhere: initials or a code for the person, roles (the "
        "employer, a co-worker) for others."
    )
)

try:
    require_role(actor, CASE_WORKERS)
except PermissionDenied:
    st.error(_("Your role does not allow opening cases."))
    st.stop()

is_officer = actor.role == Role.officer
if is_officer and not actor.country:
    st.error(_("Your account has no country yet; ask an administrator to set it."))
    st.stop()

created = st.session_state.pop(CREATED, None)
if created:
    st.success(_("Case {code} opened. It is on the board now.").format(code=created))
    st.page_link(
        case_search.CASE_PAGE,
        label=_("Open case {code}").format(code=created),
        icon=":material/folder_open:",
        query_params=case_search.case_link(created),
    )


form = CaseForm(key=lambda name: f"{PREFIX}{name}", start=NEW_CASE)
screening_section(form)
with st.form("new_referral", clear_on_submit=False):
    values = case_fields(form, opened_by=actor)
    submitted = st.form_submit_button(_("Open the case"), type="primary", key=f"{PREFIX}submit")
form_message = st.empty()

if submitted:
    case_in, errors = cases.validate_new_case(values)
    if errors:
        form_message.error(_("The case was not saved. Please correct the fields marked below."))
        form.show_errors(errors)
    else:
        try:
            with db_session() as session:
                case = cases.create_case(session=session, actor=actor, case_in=case_in)
        except PermissionDenied:
            form_message.error(_("You may only open cases for your own country."))
        except Conflict as error:
            show_error(error, form_message)
        except EnlaceError:
            form_message.error(_("The case could not be saved. Please try again."))
        else:
            clear_caches()
            # Empty the form for the next person; the code stays on screen with its link.
            for key in [key for key in st.session_state if str(key).startswith(PREFIX)]:
                del st.session_state[key]
            st.session_state[CREATED] = case.case_code
            st.rerun()
