"""Offline checks of the monitoring artefacts: the PrometheusRule's alert groups pass
``promtool check rules`` and behave as the unit tests below say (``promtool test rules``), and
every metric the alerts and the Grafana dashboard query is one the code defines.

promtool comes from the Debian package ``prometheus``, installed by ``deploy/local/tools.sh``
(run by ``make test``).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase

from backoffice_platform import metrics

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "deploy" / "k8s" / "base" / "monitoring" / "prometheusrule.yaml"
DASHBOARD = REPO / "deploy" / "grafana" / "backoffice-dashboard.json"
REQUESTS = "backoffice_http_request_duration_seconds_count"
METRIC_NAME = re.compile(r"\bbackoffice_[a-z0-9_]+\b")

# Alerts the runbook promises (docs/operations.md): each must exist and be documented there.
REQUIRED_ALERTS = {
    "BackofficeConsumerLagHigh",
    "BackofficeDeadLetters",
    "BackofficeOutboxBacklog",
    "BackofficeOutboxParked",
    "BackofficeBooksNotBalanced",
    "BackofficeHttp5xxRate",
}

# promtool unit tests: series over time and the alerts expected to fire (or not).
RULE_TESTS: dict[str, Any] = {
    "evaluation_interval": "1m",
    "tests": [
        {
            "interval": "1m",
            "input_series": [
                # two worker replicas of billing, 700 + 600 records behind: summed, above 1000
                {
                    "series": 'backoffice_consumer_lag{service="billing",consumer="ledger",pod="a"}',
                    "values": "700x20",
                },
                {
                    "series": 'backoffice_consumer_lag{service="billing",consumer="ledger",pod="b"}',
                    "values": "600x20",
                },
                {
                    "series": 'backoffice_consumer_lag{service="order",consumer="billing",pod="c"}',
                    "values": "10x20",
                },
                {
                    "series": 'backoffice_dead_letters_total{service="ledger",consumer="live"}',
                    "values": "0 0 0 1 1 1",
                },
                {"series": 'backoffice_outbox_parked_rows{service="order"}', "values": "0 0 1 1 1 1"},
                {"series": 'backoffice_ledger_invariants_ok{service="ledger"}', "values": "1 1 0 0 0 0"},
                {
                    "series": REQUESTS + '{service="order",status="503"}',
                    "values": "0+10x20",
                },
                {
                    "series": REQUESTS + '{service="order",status="201"}',
                    "values": "0+90x20",
                },
                {
                    "series": REQUESTS + '{service="billing",status="200"}',
                    "values": "0+100x20",
                },
            ],
            "alert_rule_test": [
                {
                    "eval_time": "15m",
                    "alertname": "BackofficeConsumerLagHigh",
                    "exp_alerts": [
                        (
                            "warning",
                            {"service": "billing", "consumer": "ledger"},
                            "billing consumer ledger is 1300 records behind",
                        )
                    ],
                },
                {"eval_time": "2m", "alertname": "BackofficeDeadLetters", "exp_alerts": []},
                {
                    "eval_time": "5m",
                    "alertname": "BackofficeDeadLetters",
                    "exp_alerts": [
                        (
                            "warning",
                            {"service": "ledger", "consumer": "live"},
                            "ledger consumer live dead-lettered records",
                        )
                    ],
                },
                {
                    "eval_time": "5m",
                    "alertname": "BackofficeOutboxParked",
                    "exp_alerts": [
                        (
                            "critical",
                            {"service": "order"},
                            "order has 1 outbox records the broker refused for good",
                        )
                    ],
                },
                {
                    "eval_time": "5m",
                    "alertname": "BackofficeBooksNotBalanced",
                    "exp_alerts": [("critical", {"service": "ledger"}, "The ledger's invariant check fails")],
                },
                # order answers 10 % 5xx (above 5 %), billing none
                {
                    "eval_time": "15m",
                    "alertname": "BackofficeHttp5xxRate",
                    "exp_alerts": [
                        ("critical", {"service": "order"}, "order answers 10% of requests with 5xx")
                    ],
                },
                {"eval_time": "15m", "alertname": "BackofficeOutboxBacklog", "exp_alerts": []},
            ],
        }
    ],
}


def promtool() -> str:
    found = shutil.which("promtool")
    assert found, "promtool is missing: run deploy/local/tools.sh (make test does)"
    return found


def rule_groups() -> dict[str, Any]:
    (doc,) = [d for d in yaml.safe_load_all(RULES.read_text()) if d]
    assert doc["kind"] == "PrometheusRule"
    return {"groups": doc["spec"]["groups"]}


def alerts() -> list[dict[str, Any]]:
    return [rule for group in rule_groups()["groups"] for rule in group["rules"]]


def defined_metric_names() -> set[str]:
    """Every series name the code's metric definitions produce."""
    names: set[str] = set()
    for value in vars(metrics).values():
        if isinstance(value, MetricWrapperBase):
            (family,) = value.describe()
            kind = family.type
            if kind == "counter":
                names |= {family.name + "_total", family.name + "_created"}
            elif kind == "histogram":
                names |= {family.name + s for s in ("_bucket", "_count", "_sum", "_created")}
            else:
                names.add(family.name)
    return names


def dashboard_queries() -> list[str]:
    board = json.loads(DASHBOARD.read_text())
    return [t["expr"] for panel in board["panels"] for t in panel["targets"]]


def test_rule_groups_pass_promtool_check(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump(rule_groups(), sort_keys=False))
    result = subprocess.run([promtool(), "check", "rules", str(rules)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(alerts())} rules found" in result.stdout


def promtool_tests() -> dict[str, Any]:
    """RULE_TESTS with each expected alert ``(severity, labels, summary)`` spelt out for promtool
    (the description is the rule's own: it has no template)."""
    descriptions = {rule["alert"]: rule["annotations"]["description"] for rule in alerts()}
    tests = json.loads(json.dumps(RULE_TESTS))
    for case in tests["tests"]:
        for check in case["alert_rule_test"]:
            check["exp_alerts"] = [
                {
                    "exp_labels": {"severity": severity, **labels},
                    "exp_annotations": {"summary": summary, "description": descriptions[check["alertname"]]},
                }
                for severity, labels, summary in check["exp_alerts"]
            ]
    return tests


def test_alerts_fire_as_their_unit_tests_say(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(rule_groups(), sort_keys=False))
    tests = tmp_path / "rules.test.yaml"
    tests.write_text(yaml.safe_dump({"rule_files": ["rules.yaml"], **promtool_tests()}, sort_keys=False))
    result = subprocess.run(
        [promtool(), "test", "rules", str(tests)], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_rejects_a_broken_expression(tmp_path: Path) -> None:
    groups = rule_groups()
    groups["groups"][0]["rules"][0]["expr"] = "sum by (service (backoffice_consumer_lag)"
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump(groups))
    result = subprocess.run([promtool(), "check", "rules", str(rules)], capture_output=True, text=True)
    assert result.returncode != 0


def test_the_required_alerts_exist_and_the_runbook_explains_each() -> None:
    names = {rule["alert"] for rule in alerts()}
    assert names >= REQUIRED_ALERTS
    runbook = (REPO / "docs" / "operations.md").read_text()
    for name in names:
        assert f"`{name}`" in runbook, f"docs/operations.md does not explain {name}"


@pytest.mark.parametrize("source", ["alerts", "dashboard"])
def test_every_metric_queried_exists_in_the_code(source: str) -> None:
    queries = [rule["expr"] for rule in alerts()] if source == "alerts" else dashboard_queries()
    used = {name for query in queries for name in METRIC_NAME.findall(query)}
    assert used, "no metric queried"
    assert used <= defined_metric_names(), f"unknown metrics: {sorted(used - defined_metric_names())}"


def test_dashboard_is_a_grafana_dashboard_covering_every_metric() -> None:
    board = json.loads(DASHBOARD.read_text())
    assert board["title"] and board["uid"] and board["schemaVersion"] >= 36
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in board["panels"]:
        assert panel["datasource"]["type"] == "prometheus" and panel["targets"], panel["title"]
    used = {name for query in dashboard_queries() for name in METRIC_NAME.findall(query)}
    families = {re.sub(r"_(total|bucket|count|sum|created)$", "", n) for n in used}
    defined = {re.sub(r"_(total|bucket|count|sum|created)$", "", n) for n in defined_metric_names()}
    assert families == defined, f"metrics without a panel: {sorted(defined - families)}"
