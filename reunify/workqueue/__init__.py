"""What needs me now: the clinician's work queue at the top of the caseload.

Owns no data. It reads every domain app — safety pauses and concerns (cases, clinical), unread
messages (messaging) and check-ins (measures), draft notes (clinical), re-screens and court
reports due (the dashboard's sources in reports), overrides awaiting co-signature (cases) — and
serves the caseload page ("/", URL name `caseload`), whose table comes from `cases.selectors`.
The cases app imports none of this: it is the base the others build on.
"""
