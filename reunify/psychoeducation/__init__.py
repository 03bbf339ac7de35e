"""Psychoeducation: the practice's library of short texts for families, and the modules
assigned to each party of a case with their completion.

The project ships one plain-language text per topic; the practice's administrators and
clinical supervisors edit them. Completions count at the gate from psychoeducation into
individual work.
"""
