"""Dashboards and reports: progress by country, referral reports, charts and export files,
small-count suppression and k-anonymity."""
