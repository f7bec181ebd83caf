"""Domain errors. Pages turn them into messages in the user's language."""


class EnlaceError(Exception):
    """Base of every error a user may be shown."""


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
