"""Documents uploaded to a case: court orders, prior evaluations, CPS reports, signed agreements.

This app owns the `Document` record and the folder its files live in. A file is accepted only
when its contents and its name agree that it is a PDF, PNG or JPEG, within the size limit; it is
stored under a random name outside the web root and served only through `access`, and every
upload and every download is written to the audit log.
"""
