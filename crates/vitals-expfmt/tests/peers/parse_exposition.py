"""Parses an exposition with the reference Python parsers and prints what they read, as JSON.

Usage: parse_exposition.py text|openmetrics < exposition

`text` uses prometheus_client.parser (Prometheus text 0.0.4), `openmetrics` uses
prometheus_client.openmetrics.parser. The output is

    {"families": [{"name", "type", "unit", "documentation",
                   "samples": [[name, {label: value}, "value", exemplar], ...]}, ...]}

where `exemplar` is null or {"labels": {label: value}, "value": "value", "timestamp": "t" or
null} (OpenMetrics only: the 0.0.4 parser reports none).

Every sample value is printed as a string, so that nothing is lost on the way: integers in
decimal, floats as Python's repr (the shortest digits that round-trip), and "NaN", "+Inf",
"-Inf" for the values JSON has no numbers for. An exemplar timestamp that the parser kept as
seconds and nanoseconds is printed as "seconds.nanoseconds" (nine digits), exactly as read. A
parse error exits with status 1 and the parser's message on stderr.
"""

import json
import math
import sys

from prometheus_client.samples import Timestamp


def value_text(value):
    if isinstance(value, bool):
        raise TypeError(f"unexpected boolean sample value {value!r}")
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def timestamp_text(timestamp):
    if timestamp is None:
        return None
    if isinstance(timestamp, Timestamp):
        return f"{timestamp.sec}.{timestamp.nsec:09d}"
    return value_text(timestamp)


def exemplar_json(exemplar):
    if exemplar is None:
        return None
    return {
        "labels": dict(exemplar.labels),
        "value": value_text(exemplar.value),
        "timestamp": timestamp_text(exemplar.timestamp),
    }


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in ("text", "openmetrics"):
        print("usage: parse_exposition.py text|openmetrics < exposition", file=sys.stderr)
        return 2
    if sys.argv[1] == "text":
        from prometheus_client.parser import text_string_to_metric_families
    else:
        from prometheus_client.openmetrics.parser import text_string_to_metric_families

    # Strict decoding: an exposition that is not UTF-8 is an error, not something to repair.
    exposition = sys.stdin.buffer.read().decode("utf-8")
    try:
        families = [
            {
                "name": family.name,
                "type": family.type,
                "unit": family.unit,
                "documentation": family.documentation,
                "samples": [
                    [
                        sample.name,
                        dict(sample.labels),
                        value_text(sample.value),
                        exemplar_json(sample.exemplar),
                    ]
                    for sample in family.samples
                ],
            }
            for family in text_string_to_metric_families(exposition)
        ]
    except Exception as error:  # the parsers raise ValueError and friends; report any of them
        print(f"{sys.argv[1]} parser rejected the exposition: {error!r}", file=sys.stderr)
        return 1
    json.dump({"families": families}, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
