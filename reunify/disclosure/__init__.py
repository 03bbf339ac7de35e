"""What leaves the clinical record, to whom, and on what authority: releases of information
(revocable, expiring), court orders that compel disclosure, the disclosure log and each party's
accounting of disclosures, substance-use redisclosure notices, and the therapist's restriction
of a parent's access."""
