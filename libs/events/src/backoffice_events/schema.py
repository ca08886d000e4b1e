"""Published contracts generated from the catalog: JSON Schema per event type and version,
an AsyncAPI 3 document of every topic, and a backward-compatibility check between versions
of the published schemas."""

from __future__ import annotations

from typing import Any

from .catalog import CATALOG, Catalog, EventModel, dlq_topic
from .catalog.topics import EVENT_TOPICS

_CE_HEADERS: dict[str, Any] = {
    "type": "object",
    "description": "CloudEvents 1.0 Kafka binding, binary content mode",
    "required": [
        "ce_specversion",
        "ce_id",
        "ce_source",
        "ce_type",
        "ce_subject",
        "ce_time",
        "ce_streamversion",
        "ce_correlationid",
        "content-type",
    ],
    "properties": {
        "ce_specversion": {"type": "string", "const": "1.0"},
        "ce_id": {"type": "string", "format": "uuid"},
        "ce_source": {"type": "string", "description": "service that produced the event"},
        "ce_type": {"type": "string"},
        "ce_subject": {"type": "string", "description": "aggregate id, also the Kafka key"},
        "ce_time": {"type": "string", "format": "date-time"},
        "ce_streamversion": {"type": "string", "description": "position in the aggregate's stream"},
        "ce_correlationid": {"type": "string"},
        "ce_causationid": {"type": "string"},
        "ce_actor": {
            "type": "string",
            "description": "who caused the event: a console user, an API key's principal, or job:<name>",
        },
        "content-type": {"type": "string", "const": "application/json"},
    },
}


def event_schema(model: type[EventModel]) -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of one event type and version."""
    schema = model.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://backoffice.dev/events/{model.cloud_type()}.json"
    schema["title"] = model.cloud_type()
    schema["description"] = (model.__doc__ or model.__name__).strip().splitlines()[0]
    schema["x-topic"] = model.topic
    schema["x-aggregate"] = model.aggregate
    return schema


def all_schemas(catalog: Catalog = CATALOG) -> dict[str, dict[str, Any]]:
    return {m.cloud_type(): event_schema(m) for m in catalog.models()}


def asyncapi(catalog: Catalog = CATALOG, version: str = "1.0.0") -> dict[str, Any]:
    """AsyncAPI 3.0 document of every topic and event (the producer's view)."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for topic in EVENT_TOPICS:
        chan = topic.replace(".", "_")
        chan_messages: dict[str, Any] = {}
        for model in catalog.models():
            if model.topic != topic:
                continue
            name = model.cloud_type().replace(".", "_")
            messages[name] = {
                "name": model.cloud_type(),
                "title": model.__name__,
                "summary": (model.__doc__ or model.__name__).strip().splitlines()[0],
                "contentType": "application/json",
                "headers": _CE_HEADERS,
                "payload": {"$ref": f"schemas/{model.cloud_type()}.json"},
                "bindings": {"kafka": {"key": {"type": "string", "description": f"{model.aggregate} id"}}},
            }
            chan_messages[name] = {"$ref": f"#/components/messages/{name}"}
        channels[chan] = {
            "address": topic,
            "description": f"Events of {topic.split('.')[-1]}; keyed by aggregate id; retention forever.",
            "messages": chan_messages,
            "bindings": {"kafka": {"topic": topic, "topicConfiguration": {"retention.ms": -1}}},
        }
        operations[f"publish_{chan}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{chan}"},
            "messages": [{"$ref": f"#/channels/{chan}/messages/{m}"} for m in chan_messages],
        }
        channels[chan + "_dlq"] = {
            "address": dlq_topic(topic),
            "description": "Dead letters: the original record plus dlq_reason, dlq_topic, dlq_partition,"
            " dlq_offset, dlq_consumer, dlq_failed_at headers.",
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Backoffice events",
            "version": version,
            "description": "Every event is a CloudEvents 1.0 event (Kafka binary mode).",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


# compatibility ------------------------------------------------------------------


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    seen = 0
    while "$ref" in schema and seen < 20:
        ref = schema["$ref"]
        if not ref.startswith("#/$defs/"):
            break
        schema = root.get("$defs", {}).get(ref.split("/")[-1], {})
        seen += 1
    return schema


def _types(schema: dict[str, Any], root: dict[str, Any]) -> set[str]:
    schema = _resolve(schema, root)
    if "anyOf" in schema:
        out: set[str] = set()
        for s in schema["anyOf"]:
            out |= _types(s, root)
        return out
    if "type" in schema:
        t = schema["type"]
        return set(t) if isinstance(t, list) else {t}
    if "const" in schema or "enum" in schema:
        return {"string"}
    return {"any"}


def incompatibilities(
    old: dict[str, Any],
    new: dict[str, Any],
    path: str = "",
    old_root: dict[str, Any] | None = None,
    new_root: dict[str, Any] | None = None,
) -> list[str]:
    """Why events valid under ``new`` could break a consumer written for ``old`` (or old
    producers' events fail the new schema): removed or retyped fields, newly required fields,
    narrowed enums. Empty list = backward compatible."""
    old_root = old_root if old_root is not None else old
    new_root = new_root if new_root is not None else new
    old, new = _resolve(old, old_root), _resolve(new, new_root)
    problems: list[str] = []
    old_t, new_t = _types(old, old_root), _types(new, new_root)
    if "any" not in old_t and not new_t <= old_t | {"null"} and "any" not in new_t:
        problems.append(f"{path or '(root)'}: type changed from {sorted(old_t)} to {sorted(new_t)}")
    old_enum = _resolve(old, old_root).get("enum")
    new_enum = _resolve(new, new_root).get("enum")
    if old_enum is not None and new_enum is not None and not set(old_enum) <= set(new_enum):
        problems.append(f"{path}: enum values removed {sorted(set(old_enum) - set(new_enum))}")
    old_props = old.get("properties", {})
    new_props = new.get("properties", {})
    for name, sub in old_props.items():
        if name not in new_props:
            problems.append(f"{path}.{name}: field removed")
        else:
            problems.extend(incompatibilities(sub, new_props[name], f"{path}.{name}", old_root, new_root))
    for name in set(new.get("required", [])) - set(old.get("required", [])):
        problems.append(f"{path}.{name}: field became required")
    if "items" in old and "items" in new:
        problems.extend(incompatibilities(old["items"], new["items"], f"{path}[]", old_root, new_root))
    return problems
