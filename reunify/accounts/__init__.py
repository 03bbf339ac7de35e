"""Staff accounts, their roles and supervisors, and API tokens (stored only as hashes)."""
