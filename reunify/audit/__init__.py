"""The append-only, hash-chained audit log.

Owns the `Event` table (one row per read or write of protected information), the chain that
links each event to the one before it, the database triggers that refuse UPDATE and DELETE,
and `reunify audit verify`, which re-walks the chain and names the first event that does not fit.
"""
