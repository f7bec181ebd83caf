"""The progress page under AppTest: per role, the URL's filters in and out, empty states."""

import pytest

PAGE = "pages/progress.py"


@pytest.fixture
def open_page(app_as):
    """`open_page(email, **query)`: the progress page as `email`, with `query` in the URL."""

    def open_(email: str, **query: str):
        at = app_as(email)
        for name, value in query.items():
            at.query_params[name] = value
        at.run()
        at.switch_page(PAGE).run()
        assert not at.exception, at.exception
        return at

    return open_


def download_keys(at) -> set[str]:
    return {button.key for button in at.get("download_button")}


def charts_shown(at) -> int:
    return len(at.get("vega_lite_chart")) or len(at.get("arrow_vega_lite_chart"))


@pytest.mark.parametrize("who", ["manager", "coordinator", "admin"])
def test_readers_see_kpis_charts_risk_table_and_every_export(demo_db, who, open_page):
    at = open_page(f"{who}@enlace.test", course="HT-2018")
    assert [metric.label for metric in at.metric] == [
        "Enrolled", "Active", "Completed", "Completion rate", "Average grade", "Behind schedule"
    ]  # fmt: skip
    assert at.metric[0].value == "40"
    assert charts_shown(at) == 3
    keys = download_keys(at)
    for item in ("completion", "modules", "completions"):
        assert {
            f"progress_export_{item}_{fmt}" for fmt in ("png", "svg", "pdf", "csv", "xlsx")
        } <= keys
    assert {"progress_pack_pdf", "progress_pack_zip"} <= keys
    if who == "manager":  # names would give back the counts hidden from a manager
        assert "progress_export_at_risk_csv" not in keys
        assert "Participants at risk" not in [header.value for header in at.subheader]
        assert "progress_drill" not in [box.key for box in at.selectbox]
        assert any("are for coordinators" in caption.value for caption in at.caption)
    else:
        assert "progress_export_at_risk_csv" in keys
        assert "Participants at risk" in [header.value for header in at.subheader]


def test_officer_sees_own_country_and_the_region_without_names_or_exports(demo_db, open_page):
    at = open_page("officer.ar@enlace.test", course="HT-2018", country="BR")
    assert "Argentina" in at.caption[0].value
    assert at.text_input[0].disabled and at.text_input[0].value == "Argentina"
    assert at.metric[0].value == "5"  # Argentina's five officers, not Brazil's
    assert at.metric[3].delta  # compared with the region
    assert not download_keys(at)
    assert "Participants at risk" not in [header.value for header in at.subheader]
    assert dict(at.query_params) == {"course": "HT-2018"}
    table = at.dataframe[0].value
    assert list(table["Country"]) == ["Argentina", "Region (all countries)"]


def test_link_sets_the_filters_and_the_filters_set_the_link(demo_db, open_page):
    at = open_page(
        "coordinator@enlace.test", course="HT-2018", country="AR", status="completed",
        **{"from": "2018-01-01", "to": "2018-12-31"},
    )  # fmt: skip
    assert at.selectbox(key="progress_country").value == "AR"
    assert at.selectbox(key="progress_status").value == "completed"
    assert str(at.date_input(key="progress_from").value) == "2018-01-01"
    assert at.metric[1].value == "0"  # nobody active among the completed

    at.selectbox(key="progress_status").set_value(None)
    at.selectbox(key="progress_drill").set_value("AR")
    at.run()
    assert not at.exception
    assert dict(at.query_params) == {
        "course": "HT-2018", "from": "2018-01-01", "to": "2018-12-31", "country": "AR",
        "drill": "AR",
    }  # fmt: skip
    assert "status" not in at.query_params
    assert len(at.dataframe[-1].value) == 5  # the drill-down: Argentina's participants


def test_a_link_with_nonsense_falls_back_to_defaults(demo_db, open_page):
    at = open_page("manager@enlace.test", course="NOPE", country="ZZ", status="asleep")
    assert at.selectbox(key="progress_country").value is None
    assert at.selectbox(key="progress_status").value is None
    assert dict(at.query_params) == {"course": "HT-2026"}  # the newest course


def test_a_filter_that_matches_nothing_says_what_to_do(demo_db, open_page):
    at = open_page("manager@enlace.test", course="HT-2018", **{"from": "2030-01-01"})
    assert at.warning and "widen" in at.warning[0].value
    assert not at.metric


def test_reports_page_offers_every_chart_in_every_format(demo_db, app_as):
    at = app_as("manager@enlace.test").run()
    at.switch_page("pages/reports.py").run()
    assert not at.exception, at.exception
    keys = download_keys(at)
    for name in ("stage", "situation", "country", "month"):
        assert {
            f"reports_export_{name}_{fmt}" for fmt in ("png", "svg", "pdf", "csv", "xlsx")
        } <= keys
    assert {"reports_pack_pdf", "reports_pack_zip"} <= keys


def chart_titles(at) -> list[str]:
    import json

    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    return [json.loads(chart.proto.spec)["title"] for chart in charts]


def test_report_charts_follow_the_language_picked_after_they_were_cached(demo_db, app_as):
    at = app_as("manager@enlace.test").run()
    at.switch_page("pages/reports.py").run()
    assert chart_titles(at)[0] == "Cases by stage"
    at.selectbox(key="language_picker").set_value("es").run()
    assert not at.exception, at.exception
    assert chart_titles(at)[0] == "Casos por etapa"


def test_progress_charts_follow_the_filters_after_they_were_cached(demo_db, open_page):
    at = open_page("manager@enlace.test", course="HT-2018")
    everyone = at.dataframe[0].value
    at.selectbox(key="progress_country").set_value("AR").run()
    assert not at.exception, at.exception
    assert charts_shown(at) == 3
    assert len(at.dataframe[0].value) == 1 < len(everyone)
    assert list(at.dataframe[0].value["Country"]) == ["Argentina"]
