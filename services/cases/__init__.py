"""Referral cases: records (writes and forms), board (reads), exports, presentation (page
text), the stage workflow's rules, partner organisations, HTCDS/CTDC microdata, retention and
erasure."""
