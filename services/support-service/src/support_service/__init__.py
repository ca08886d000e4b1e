"""Backoffice support service."""
