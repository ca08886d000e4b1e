"""Adapters: PostgreSQL books per generation and the Kafka projection."""
