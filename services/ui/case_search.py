"""The search box of the case page: cases of the person's whole scope found by code, alias,
organisation or words in the notes (services/cases/search.py), each a link to its page."""

import streamlit as st

from models import UserAccount
from services.cases import search
from services.platform import formatting
from services.platform.i18n import _
from services.platform.labels import country_name, label
from services.ui.runtime import db_session

CASE_PAGE = "pages/case.py"
CODE_PARAMETER = "code"


def case_link(code: str) -> dict[str, str]:
    """The query string of a case's page: `/case?code=AR-2026-0005`."""
    return {CODE_PARAMETER: code}


def requested_code() -> str:
    """The case code the URL asks for, as typed ("" for none)."""
    return str(st.query_params.get(CODE_PARAMETER, "")).strip().upper()


def search_box(actor: UserAccount) -> None:
    """The box, and the cases it finds (a link each); the cases a person may not see are
    never among them, and never counted."""
    text = st.text_input(
        _("Search cases"),
        placeholder=_("Case code, alias, organisation or words in the notes"),
        max_chars=200,
        key="case_search",
    )
    text = " ".join((text or "").split())
    if not text:
        return
    if len(text) < search.MIN_LENGTH:
        st.caption(_("Type at least {count} characters.").format(count=search.MIN_LENGTH))
        return
    with db_session() as session:
        hits = search.search_cases(session=session, actor=actor, text=text)
    if not hits:
        st.info(_("No case you can see matches this search."))
        return
    if len(hits) == search.MAX_RESULTS:
        st.caption(
            _("The first {count} cases found; add words to narrow the search.").format(
                count=search.MAX_RESULTS
            )
        )
    for hit in hits:
        st.page_link(
            CASE_PAGE,
            label=" · ".join(
                [
                    hit.case_code,
                    label(hit.stage),
                    label(hit.urgency),
                    country_name(hit.reporting_country),
                    formatting.date_text(hit.identified_on),
                ]
            ),
            icon=":material/folder_open:",
            query_params=case_link(hit.case_code),
        )
