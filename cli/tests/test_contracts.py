"""The committed contracts equal the code, and no published event schema changed incompatibly."""

import json

from backoffice_cli.contracts import EVENTS_DIR, differences
from backoffice_events.catalog import CATALOG
from backoffice_events.schema import event_schema, incompatibilities


def test_committed_contracts_match_the_code() -> None:
    diffs = differences()
    assert diffs == [], "run `make contracts` and commit the result:\n" + "\n".join(diffs)


def test_published_event_schemas_are_not_changed_incompatibly() -> None:
    problems = []
    published = sorted((EVENTS_DIR / "schemas").glob("*.json"))
    assert published, "no published schemas found"
    for path in published:
        cloud_type = path.name.removesuffix(".json")
        old = json.loads(path.read_text())
        try:
            model = CATALOG.model(cloud_type)
        except ValueError:
            problems.append(f"{cloud_type}: published but removed from the catalog")
            continue
        problems += [f"{cloud_type}: {p}" for p in incompatibilities(old, event_schema(model))]
    assert problems == []


def test_each_newer_version_is_reachable_by_upcasting() -> None:
    for model in CATALOG.models():
        latest = CATALOG.latest(model.event_type)
        if model.event_version < latest.event_version:
            assert (model.event_type, model.event_version) in CATALOG._upcasters
