"""Download buttons whose files are built (and audited) only when the person clicks."""

from collections.abc import Callable, Iterable

import streamlit as st

from services.platform.i18n import _
from services.reporting import charts
from services.reporting.export import ExportInfo

Build = Callable[[str], bytes]
"""Builds one file in the given format ("png", "csv", "pdf", "zip"...)."""


def download_menu(key: str, info: ExportInfo, formats: Iterable[str], build: Build) -> None:
    """A "Download" popover with one button per format (keys `<key>_<format>`)."""
    with st.popover(_("Download"), icon=":material/download:", key=key):
        for fmt in formats:
            st.download_button(
                fmt.upper(),
                data=charts.deferred(build, fmt),
                file_name=charts.file_name(info, fmt),
                mime=charts.MIME_TYPES[fmt],
                on_click="ignore",
                key=f"{key}_{fmt}",
                width="stretch",
            )


def pack_buttons(key: str, info: ExportInfo, build: Build) -> None:
    """The report pack as one PDF and every file in a ZIP, side by side (keys `<key>_pdf`,
    `<key>_zip`)."""
    pdf_column, zip_column, _spacer = st.columns([1, 1, 3])
    for column, fmt, title, icon in (
        (pdf_column, "pdf", _("Report pack (PDF)"), ":material/picture_as_pdf:"),
        (zip_column, "zip", _("All files (ZIP)"), ":material/folder_zip:"),
    ):
        column.download_button(
            title,
            data=charts.deferred(build, fmt),
            file_name=charts.file_name(info, fmt),
            mime=charts.MIME_TYPES[fmt],
            on_click="ignore",
            icon=icon,
            key=f"{key}_{fmt}",
        )
