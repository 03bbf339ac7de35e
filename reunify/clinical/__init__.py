"""The clinical record: appointments of every kind, contact-session records, the contact
ladder and its step-up gate, progress notes that lock when signed (changes are addenda),
psychotherapy notes kept apart, amendment requests, and the integration check-ins."""
