"""The case form's optional screening guide: the course's indicator sets as toggles, and which
situation the ticked ones point to and why, in the reader's language, as they are ticked.

Widgets inside an `st.form` send nothing until the form is submitted, so the guide is drawn
just before the page's form (`case_form.screening_section`): each tick reruns the page and
updates the suggestion at once, and the form's submit reads the ticks from their keys like
every other field. The rules are `services/cases/screening.py`'s.
"""

from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from models.enums import Situation
from services.cases import screening
from services.platform.i18n import _
from services.platform.labels import label

FIELD = "screening_indicators"


def _minor(key: Callable[[str], str], start: Mapping[str, Any]) -> bool:
    """Whether the person is a minor, as the form last sent it (or as the case was)."""
    return bool(st.session_state.get(key("is_minor"), start.get("is_minor")))


def show_suggestion(suggestion: screening.Suggestion) -> None:
    """Which situation the indicators point to, and the reasons, one per line."""
    reasons = "\n".join(f"- {reason}" for reason in suggestion.reasons)
    if suggestion.situation == Situation.undetermined:
        st.info(_("The indicators do not point to one situation yet.") + "\n\n" + reasons)
        return
    headline = _("The indicators point to: {situation}.").format(
        situation=label(suggestion.situation)
    )
    st.success(f"**{headline}**\n\n{reasons}")


def screening_guide(
    key: Callable[[str], str], start: Mapping[str, Any]
) -> tuple[list[str], DeltaGenerator]:
    """Draw the guide; return the ticked codes (in the guide's order) and where a message
    about them goes."""
    ticked_before = [str(code) for code in start.get(FIELD) or []]
    with st.expander(
        _("Screening guide (optional): what did you see?"), expanded=bool(ticked_before)
    ):
        st.caption(
            _(
                "Tick what you saw or were told, from the course's indicators. The guide "
                "suggests a situation and says why; you decide the suspected situation in the "
                "form below. What you tick is saved with the case."
            )
        )
        chosen: list[str] = []
        for group in screening.GROUPS:
            codes = [code.value for code in group.codes]
            picked = st.pills(
                _(group.title),
                codes,
                selection_mode="multi",
                default=[code for code in ticked_before if code in codes],
                format_func=label,
                help=_(group.help),
                key=key(f"screening_{group.key}"),
            )
            chosen += [code for code in codes if code in picked]
        message = st.empty()
        show_suggestion(screening.suggest(chosen, is_minor=_minor(key, start)))
    return chosen, message
