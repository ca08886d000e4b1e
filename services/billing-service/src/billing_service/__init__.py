"""Backoffice billing service."""
