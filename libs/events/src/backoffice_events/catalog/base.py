"""The event catalog: one pydantic model per event type and version, upcasters between
versions, and decoding of raw payloads into the newest model.

Event type scheme (used everywhere): ``backoffice.<context>.<event>.v<version>``,
for example ``backoffice.order.placed.v1``. ``EventModel.event_type`` holds the part
before ``.v<version>`` and ``EventModel.event_version`` the number.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

_TYPE_RE = re.compile(r"^(?P<name>[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+)\.v(?P<version>[1-9][0-9]*)$")


class CatalogError(ValueError):
    """Base for problems decoding an event."""


class UnknownEventType(CatalogError):
    """The event type is not in the catalog (or is malformed)."""


class InvalidEventPayload(CatalogError):
    """The payload does not match the schema of its event type."""


class EventModel(BaseModel):
    """Base of every event payload. Subclasses set the three class variables."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    event_type: ClassVar[str]
    event_version: ClassVar[int] = 1
    topic: ClassVar[str]
    # Aggregate kind the subject (stream id) names, e.g. "order"; documentation only.
    aggregate: ClassVar[str] = ""

    @classmethod
    def cloud_type(cls) -> str:
        return f"{cls.event_type}.v{cls.event_version}"

    @property
    def type(self) -> str:
        return self.cloud_type()


E = TypeVar("E", bound=type[EventModel])
Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


def parse_type(cloud_type: str) -> tuple[str, int]:
    match = _TYPE_RE.match(cloud_type)
    if not match:
        raise UnknownEventType(
            f"event type {cloud_type!r} is not of the form backoffice.<context>.<event>.v<N>"
        )
    return match["name"], int(match["version"])


class Catalog:
    """Registry of event models and upcasters."""

    def __init__(self) -> None:
        self._models: dict[tuple[str, int], type[EventModel]] = {}
        self._latest: dict[str, int] = {}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}

    def register(self, model: E) -> E:
        """Class decorator: add an event model (any version) to the catalog."""
        key = (model.event_type, model.event_version)
        if key in self._models and self._models[key] is not model:
            raise CatalogError(f"{model.cloud_type()} registered twice")
        parse_type(model.cloud_type())
        self._models[key] = model
        self._latest[model.event_type] = max(self._latest.get(model.event_type, 0), model.event_version)
        return model

    def upcaster(self, event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Decorator for a function turning a ``from_version`` payload into ``from_version + 1``."""

        def wrap(fn: Upcaster) -> Upcaster:
            self._upcasters[(event_type, from_version)] = fn
            return fn

        return wrap

    def model(self, cloud_type: str) -> type[EventModel]:
        name, version = parse_type(cloud_type)
        try:
            return self._models[(name, version)]
        except KeyError:
            raise UnknownEventType(f"unknown event type {cloud_type!r}") from None

    def latest(self, event_type: str) -> type[EventModel]:
        return self._models[(event_type, self._latest[event_type])]

    def models(self) -> Iterable[type[EventModel]]:
        return sorted(self._models.values(), key=lambda m: (m.topic, m.event_type, m.event_version))

    def decode(self, cloud_type: str, data: Any) -> EventModel:
        """Validate ``data`` for its type and upcast it to the newest version of that type."""
        name, version = parse_type(cloud_type)
        if (name, version) not in self._models:
            raise UnknownEventType(f"unknown event type {cloud_type!r}")
        if not isinstance(data, dict):
            raise InvalidEventPayload(f"{cloud_type}: payload must be a JSON object")
        latest = self._latest[name]
        payload = data
        try:
            if version == latest:
                return self._models[(name, version)].model_validate(payload)
            # Validate against the version it claims first, so errors name the right schema.
            self._models[(name, version)].model_validate(payload)
            for step in range(version, latest):
                upcast = self._upcasters.get((name, step))
                if upcast is None:
                    raise InvalidEventPayload(f"no upcaster from {name}.v{step} to v{step + 1}")
                payload = upcast(dict(payload))
            return self._models[(name, latest)].model_validate(payload)
        except ValidationError as exc:
            errors = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}" for err in exc.errors()
            )
            raise InvalidEventPayload(f"{cloud_type}: {errors}") from None


CATALOG = Catalog()
"""The one catalog every service uses."""

register = CATALOG.register
upcaster = CATALOG.upcaster
