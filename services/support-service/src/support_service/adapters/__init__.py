"""Adapters around the domain: ticket streams and read models, the customer history
projection and the Kafka handlers."""
