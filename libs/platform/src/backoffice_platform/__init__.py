"""Shared service glue that is not about events."""
