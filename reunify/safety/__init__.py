"""Safety screenings and their contraindications: the reasons not to proceed.

A present contraindication pauses the case at once and blocks contact; it can be resolved by a
later screen, never overridden.
"""
