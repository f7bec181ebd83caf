"""Referral cases: intake (opening a case), records (changes to an open case and forms),
storage (finding a case in scope, a change's versioned write), board (reads), exports,
presentation (page text), the stage workflow's rules, partner organisations, HTCDS/CTDC
microdata, retention and erasure."""
