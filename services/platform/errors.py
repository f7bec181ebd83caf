"""Domain errors. Each carries a message id (English, marked for translation) and its
parameters: `str(error)` is the English text (command line, logs), `error.translated()` the
text in the reader's language, which pages show with `ui.feedback.show_error`."""

from typing import Any

from services.platform.i18n import _


class EnlaceError(Exception):
    """Base of every error a user may be shown."""

    def __init__(self, message: str, /, **params: Any) -> None:
        self.message = message
        self.params = params
        super().__init__(message.format(**params) if params else message)

    def translated(self) -> str:
        """The message in the current language (English where no translation exists)."""
        text = _(self.message)
        return text.format(**self.params) if self.params else text


class PermissionDenied(EnlaceError):
    """The acting user's role or country does not allow this."""


class NotFound(EnlaceError):
    """The record does not exist (or the user may not know that it does)."""


class StaleVersion(EnlaceError):
    """Someone else saved this record first; nothing was overwritten."""


class Conflict(EnlaceError):
    """The change would break a uniqueness or workflow rule."""


class ImportRejected(EnlaceError):
    """An uploaded file could not be imported; nothing was written."""
