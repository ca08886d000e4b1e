"""Adapters around the domain: repositories and read models (PostgreSQL) and Kafka handlers."""
