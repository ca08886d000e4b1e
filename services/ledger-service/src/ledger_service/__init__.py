"""Backoffice ledger service."""
