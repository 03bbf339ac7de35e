"""Court progress reports, termination notices, their public verification, and the dashboard.

This app owns what the practice issues out of a case's record as a document: the court progress
report (built from signed records only, rendered to PDF, kept byte for byte with its SHA-256,
disclosed to each recipient a release or court order allows) and the written notices sent when a
case closes. Anyone holding one of these PDFs can check at /verify that the practice issued it
and that it is unaltered. The caseload dashboard lives here too: it reads the reporting duties.
"""
