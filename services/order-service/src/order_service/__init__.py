"""Backoffice order service."""
