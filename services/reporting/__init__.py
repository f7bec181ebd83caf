"""Dashboards and reports: progress by country (queries, the dashboard page, its published
counts and views), referral reports, charts and export files, small-count suppression and
k-anonymity."""
