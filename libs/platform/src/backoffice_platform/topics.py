"""Create the event topics (and their dead-letter topics) explicitly, never by auto-creation.

``python -m backoffice_platform.topics`` — partitions from ``TOPIC_PARTITIONS`` (default 6).
"""

from __future__ import annotations

import asyncio
import os

from backoffice_events.kafka import ensure_topics, event_topic_specs

from .settings import ServiceSettings


async def create_event_topics(settings: ServiceSettings) -> list[str]:
    partitions = int(os.environ.get("TOPIC_PARTITIONS", settings.topic_partitions))
    return await ensure_topics(settings.kafka(), event_topic_specs(partitions=partitions))


def main() -> None:
    created = asyncio.run(create_event_topics(ServiceSettings()))
    print(f"[stack] topics created: {', '.join(created)}" if created else "[stack] topics present")


if __name__ == "__main__":
    main()
