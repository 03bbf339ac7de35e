"""A family's case: referral, parties, court orders and the assessment record, and the page
that shows them. The lowest of the records: it imports only the kernel; the gates between its
phases and the moves through them are the process layer's (`reunify.process`)."""
