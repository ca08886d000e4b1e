"""Adapters around the domain: repositories (PostgreSQL) and Kafka handlers."""
