"""Charts to files: PNG, SVG and PDF rendered offline with vl-convert, and report packs.

Every file says what it is: the chart's title with the active filters, the date and the
data source as its subtitle; a report pack is a PDF of one chart per page after a cover with
the same lines.
"""

import contextvars
import io
import re
import textwrap
import unicodedata
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd
import vl_convert
from pypdf import PdfReader, PdfWriter

from services.platform import formatting
from services.platform.i18n import _, get_language, set_language
from services.reporting.export import ExportInfo, to_csv, to_xlsx

IMAGE_FORMATS = ("png", "svg", "pdf")
DATA_FORMATS = ("csv", "xlsx")
MIME_TYPES = {
    "png": "image/png",
    "svg": "image/svg+xml",
    "pdf": "application/pdf",
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
}
# The Vega-Lite version Altair writes, e.g. "v6.4.1" -> "6.4" (vl-convert wants major.minor).
VEGA_LITE_VERSION = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
PNG_SCALE = 2  # sharp enough for a slide or a printed report
FONT = "Helvetica, Arial, sans-serif"


@alt.theme.register("enlace", enable=True)
def _enlace_theme() -> alt.theme.ThemeConfig:
    """Every chart's spec (`to_dict()`, on the page and in files) formats numbers and dates
    like the reader: Vega-Lite's `config.locale` of the run's language ("1.234", "78,7",
    "fev.", "sáb."), read when the spec is built."""
    return alt.theme.ThemeConfig({"config": {"locale": formatting.vega_locale()}})  # type: ignore[typeddict-item]


@dataclass(frozen=True)
class ExportFile:
    """A file to hand to the person: its name, MIME type and bytes."""

    name: str
    mime: str
    data: bytes


def slug(text: str) -> str:
    """A file-name-safe title: "Completion rate by country" -> "completion-rate-by-country"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "export"


def file_name(info: ExportInfo, extension: str) -> str:
    """'<title>-<YYYY-MM-DD>.<ext>'."""
    return f"{slug(info.title)}-{info.generated_at:%Y-%m-%d}.{extension}"


def caption_lines(info: ExportInfo) -> list[str]:
    """The filters, then the date and source, one short line each (a chart's subtitle)."""
    lines = [f"{name}: {value}" for name, value in info.filters.items()]
    lines.append(
        _("Generated {date} · Source: {source}").format(
            date=formatting.datetime_text(info.generated_at), source=info.source
        )
    )
    return lines


def captioned(chart: alt.TopLevelMixin, info: ExportInfo) -> alt.TopLevelMixin:
    """The chart titled with info.title, the filters, date and source as its subtitle."""
    title = alt.TitleParams(
        text=info.title, subtitle=caption_lines(info), anchor="start", subtitleColor="#444444"
    )
    return chart.properties(title=title)


def _spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    spec = chart.to_dict()
    spec.setdefault("background", "white")
    config = spec.setdefault("config", {})
    config.setdefault("font", FONT)
    return spec


def render(chart: alt.TopLevelMixin, fmt: str) -> bytes:
    """The chart as PNG, SVG or PDF bytes, rendered offline (no browser, no network), with
    the number and date formats of the run's language."""
    spec = _spec(chart)
    vega_locale = formatting.vega_locale()
    options: dict[str, Any] = {
        "vl_version": VEGA_LITE_VERSION,
        "format_locale": vega_locale["number"],
        "time_format_locale": vega_locale["time"],
    }
    if fmt == "png":
        return bytes(vl_convert.vegalite_to_png(spec, scale=PNG_SCALE, **options))
    if fmt == "svg":
        return vl_convert.vegalite_to_svg(spec, **options).encode("utf-8")
    if fmt == "pdf":
        return bytes(vl_convert.vegalite_to_pdf(spec, **options))
    raise ValueError(f"unknown chart format {fmt!r}; use one of {', '.join(IMAGE_FORMATS)}")


def chart_file(chart: alt.TopLevelMixin, info: ExportInfo, fmt: str) -> ExportFile:
    """One chart as a captioned PNG/SVG/PDF file."""
    return ExportFile(file_name(info, fmt), MIME_TYPES[fmt], render(captioned(chart, info), fmt))


def data_file(frame: pd.DataFrame, info: ExportInfo, fmt: str) -> ExportFile:
    """A chart's data as CSV or XLSX (title, filters, date, source; formulas neutralised)."""
    if fmt == "csv":
        data = to_csv(frame, info)
    elif fmt == "xlsx":
        data = to_xlsx(frame, info)
    else:
        raise ValueError(f"unknown data format {fmt!r}; use one of {', '.join(DATA_FORMATS)}")
    return ExportFile(file_name(info, fmt), MIME_TYPES[fmt], data)


COVER_WIDTH = 560
COVER_LINE_CHARS = 84  # at 12 px Helvetica, a line this long fits COVER_WIDTH


def _wrapped(lines: Sequence[str], width: int = COVER_LINE_CHARS) -> list[str]:
    return [part for line in lines for part in (textwrap.wrap(line, width) or [""])]


def _cover(info: ExportInfo) -> alt.Chart:
    """A page with no axes that prints the report's title, filters, date and source, each
    line wrapped to the page's width and starting at its left edge (a text mark without x is
    drawn from the middle of the view: the lines used to spill out of it)."""
    lines = _wrapped(caption_lines(info))
    data = pd.DataFrame({"line": lines, "row": range(len(lines))})
    title = alt.TitleParams(
        _wrapped([info.title], 50), fontSize=18, anchor="start", limit=COVER_WIDTH
    )
    return (
        alt.Chart(data, title=title)
        .mark_text(align="left", baseline="top", fontSize=12, x=0, limit=COVER_WIDTH)
        .encode(y=alt.Y("row:O", axis=None), text="line:N")
        .properties(width=COVER_WIDTH, height=18 * len(lines))
        .configure_view(stroke=None)
    )


def _page(chart: alt.TopLevelMixin, title: str, note: str) -> alt.TopLevelMixin:
    """A chart on its own pack page: its title, and its note wrapped under it."""
    subtitle = _wrapped([note], 100) if note else []
    return chart.properties(
        title=alt.TitleParams(title, subtitle=subtitle, anchor="start", subtitleColor="#444444")
    )


def report_pdf(
    charts: Sequence[alt.TopLevelMixin],
    info: ExportInfo,
    *,
    notes: Sequence[tuple[str, str]] | None = None,
) -> ExportFile:
    """A multi-page PDF: a cover with the title, active filters, date and source, then one
    chart per page (with `notes`, each page titled and annotated: (title, note) per chart).
    Every page is rendered as vector PDF, then the pages are joined with pypdf."""
    pages = [render(_cover(info), "pdf")]
    for index, chart in enumerate(charts):
        drawn = _page(chart, *notes[index]) if notes else chart
        pages.append(render(drawn, "pdf"))
    writer = PdfWriter()
    for page in pages:
        writer.append(PdfReader(io.BytesIO(page)))
    buffer = io.BytesIO()
    writer.write(buffer)
    return ExportFile(file_name(info, "pdf"), MIME_TYPES["pdf"], buffer.getvalue())


def report_zip(files: Sequence[ExportFile], info: ExportInfo) -> ExportFile:
    """A ZIP of the given files plus README.txt with the title, filters, date and source."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        about = "\n".join(f"{name}: {value}" for name, value in info.header_lines())
        archive.writestr("README.txt", about + "\n")
        for file in files:
            archive.writestr(file.name, file.data)
    return ExportFile(file_name(info, "zip"), MIME_TYPES["zip"], buffer.getvalue())


def deferred(build: Callable[..., bytes], *args: Any, **kwargs: Any) -> Callable[[], bytes]:
    """`build(*args, **kwargs)` to run later (a download button's click, on a server thread)
    in the language and time zone of the person who asked for it."""
    language = get_language()
    time_zone = formatting.get_time_zone()

    def run() -> bytes:
        def in_language() -> bytes:
            set_language(language)
            formatting.set_time_zone(time_zone)
            return build(*args, **kwargs)

        return contextvars.copy_context().run(in_language)

    return run
