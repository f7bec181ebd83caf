"""The notice after a reconnection to another replica: shown until the person dismisses it."""

from services.ui import reconnect
from tests.support import COORDINATOR


def test_the_reconnection_notice_stays_until_understood(demo_db, app_as):
    at = app_as(COORDINATOR).run()
    assert not at.warning  # an ordinary first run: no notice

    at.session_state[reconnect.RECONNECTED] = True  # as app.py notes it after a reconnection
    at.run()
    assert "you are now on another one" in at.warning[0].value
    at.run()  # the click that was waiting: still shown
    assert "you are now on another one" in at.warning[0].value

    at.button(key="reconnected_understood").click().run()
    assert not at.warning
