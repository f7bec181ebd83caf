"""The run's language and time zone are context variables: a test (or a command it runs
with --lang or --as) that sets them leaves English and UTC behind for the next test."""

from collections.abc import Iterator

import pytest

from services.platform.formatting import DEFAULT_TIME_ZONE, set_time_zone
from services.platform.i18n import set_language


@pytest.fixture(autouse=True)
def _english_and_utc_after() -> Iterator[None]:
    yield
    set_language("en")
    set_time_zone(DEFAULT_TIME_ZONE)
