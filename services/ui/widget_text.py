"""The texts Streamlit's choice and date widgets show by themselves, in the reader's language.

Streamlit's frontend writes "Choose an option", "Choose options" and "No options to select"
in English unless the app passes `placeholder=`; dates default to YYYY/MM/DD. What it offers
no parameter for stays English (README, "Translations"): the "No results" of a filtered
selectbox or multiselect, the calendar's month and day names, the file uploader's "Drag and
drop file here" and "Browse files", an empty radio's "No options to select." (the board shows
a caption instead of an empty radio).
"""

from collections.abc import Sized

from services.platform.i18n import _, get_language


def placeholder(options: Sized, *, multiple: bool = False) -> str:
    """What an empty selectbox or multiselect shows: a prompt, or that there is nothing."""
    if len(options) == 0:
        return _("No options to select.")
    return _("Choose options") if multiple else _("Choose an option")


def date_format() -> str:
    """`st.date_input`'s format as the reader writes dates: day first in es and pt."""
    return "YYYY-MM-DD" if get_language() == "en" else "DD/MM/YYYY"
