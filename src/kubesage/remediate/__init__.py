"""Guarded remediation: typed actions, policy, dry-run, apply, verify, rollback, records."""
