"""Workspace-wide pytest set-up: the real-stack fixtures from the events library."""

pytest_plugins = ["backoffice_events.testing"]
