"""Parses a Prometheus/OpenMetrics exposition with PyPI `prometheus-client`'s own parser
(an independent reader of what `serve`'s /metrics writes) and prints the families as JSON:
{"name": {"type": ..., "samples": [[sample name, labels, value], ...]}}.

    python parse_metrics.py < metrics.txt
"""
import json
import sys

from prometheus_client.openmetrics.parser import text_string_to_metric_families

families = {}
for family in text_string_to_metric_families(sys.stdin.read()):
    families[family.name] = {
        "type": family.type,
        "samples": [[s.name, s.labels, s.value] for s in family.samples],
    }
print(json.dumps(families))
