"""Bank files: ISO 20022 camt.053/camt.054 statements and notifications (``camt``)."""
