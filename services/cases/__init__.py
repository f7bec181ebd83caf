"""Referral cases: records and the board's reads (records), stage workflow, partner
organisations, HTCDS/CTDC microdata, retention and erasure."""
