"""A family's case: referral, parties, court orders, the assessment record, and the phase
machine whose gates say in plain words what is still missing before the next phase."""
