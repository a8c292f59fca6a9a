"""The audit log: who did what to which object, when, and why (append-only)."""
