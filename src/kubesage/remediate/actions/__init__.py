"""Typed remediation actions, one module each (see base.Action)."""
