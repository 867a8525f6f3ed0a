"""Parses an exposition with the reference Python parsers and prints what they read, as JSON.

Usage: parse_exposition.py text|openmetrics < exposition

`text` uses prometheus_client.parser (Prometheus text 0.0.4), `openmetrics` uses
prometheus_client.openmetrics.parser. The output is

    {"families": [{"name", "type", "unit", "documentation",
                   "samples": [[name, {label: value}, "value"], ...]}, ...]}

Every sample value is printed as a string, so that nothing is lost on the way: integers in
decimal, floats as Python's repr (the shortest digits that round-trip), and "NaN", "+Inf",
"-Inf" for the values JSON has no numbers for. A parse error exits with status 1 and the
parser's message on stderr.
"""

import json
import math
import sys


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
                    [sample.name, dict(sample.labels), value_text(sample.value)]
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
