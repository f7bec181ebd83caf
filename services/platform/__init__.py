"""What every domain shares: settings, the database, accounts and access, audit, translation,
labels, errors, validation, and the personal-data guard for free text."""
