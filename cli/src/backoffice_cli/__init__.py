"""Operator CLI, local runner and contract export for Backoffice."""
