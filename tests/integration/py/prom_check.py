#!/usr/bin/env python3
"""prom_check.py: a strict reader of the Prometheus text format 0.0.4, for
test_metrics.sh. It does not trust the node's writer: it parses the page
itself, by the format's grammar, and checks its rules.

  prom_check.py check FILE            exit 1 (and say why) when the page breaks a rule
  prom_check.py get FILE SERIES       print the value of SERIES, e.g.
                                      'raison_api_calls_total{call="status",result="ok"}'
                                      (labels in any order); exit 1 when absent
  prom_check.py families FILE         print each family name and type, one a line

Rules checked: every sample belongs to a family opened by `# HELP` then
`# TYPE` (each once, before its samples, families not interleaved); names
start with raison_; a counter's name ends in _total; label values are
quoted with only the escapes \\\\, \\" and \\n; values parse as floats; no
series appears twice; a histogram's buckets per label set have ascending le
ending at +Inf, cumulative (non-decreasing) counts, a _sum, and a _count
equal to the +Inf bucket.
"""
import math
import re
import sys

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


class PageError(Exception):
    pass


def parse_labels(text, pos, lineno):
    """Parses {a="x",b="y"} from text[pos] == '{'; returns (dict, next pos)."""
    labels = {}
    pos += 1
    while True:
        if text[pos] == "}":
            return labels, pos + 1
        m = LABEL.match(text, pos)
        if not m:
            raise PageError(f"line {lineno}: bad label name at column {pos}")
        name = m.group(0)
        pos = m.end()
        if text[pos : pos + 2] != '="':
            raise PageError(f"line {lineno}: label {name} not followed by =\"")
        pos += 2
        value = []
        while True:
            c = text[pos]
            if c == "\\":
                nxt = text[pos + 1]
                if nxt == "\\":
                    value.append("\\")
                elif nxt == '"':
                    value.append('"')
                elif nxt == "n":
                    value.append("\n")
                else:
                    raise PageError(f"line {lineno}: bad escape \\{nxt} in label {name}")
                pos += 2
            elif c == '"':
                pos += 1
                break
            elif c == "\n":
                raise PageError(f"line {lineno}: raw newline in label {name}")
            else:
                value.append(c)
                pos += 1
        if name in labels:
            raise PageError(f"line {lineno}: label {name} twice")
        labels[name] = "".join(value)
        if text[pos] == ",":
            pos += 1
        elif text[pos] != "}":
            raise PageError(f"line {lineno}: expected , or }} after label {name}")


def parse_value(text, lineno):
    if text in ("+Inf", "Inf"):
        return math.inf
    if text == "-Inf":
        return -math.inf
    if text == "NaN":
        return math.nan
    try:
        return float(text)
    except ValueError:
        raise PageError(f"line {lineno}: value {text!r} is not a float")


def key_of(name, labels):
    return name + "{" + ",".join(f'{k}="{labels[k]}"' for k in sorted(labels)) + "}"


def parse(text):
    """Returns (families {name: type}, samples {key: value}, order [(name, labels, value)])."""
    if not text.endswith("\n"):
        raise PageError("the page does not end with a newline")
    families = {}
    helped = set()
    samples = {}
    order = []
    current = None
    closed = set()
    for lineno, line in enumerate(text[:-1].split("\n"), 1):
        if line.startswith("# HELP "):
            m = NAME.match(line, 7)
            if not m or line[m.end() : m.end() + 1] != " ":
                raise PageError(f"line {lineno}: bad HELP line")
            name = m.group(0)
            if name in helped or name in closed:
                raise PageError(f"line {lineno}: family {name} opened twice")
            if current:
                closed.add(current)
            helped.add(name)
            current = name
            continue
        if line.startswith("# TYPE "):
            parts = line.split(" ")
            if len(parts) != 4 or parts[2] != current:
                raise PageError(f"line {lineno}: TYPE not right after its HELP: {line}")
            if parts[3] not in ("counter", "gauge", "histogram", "summary", "untyped"):
                raise PageError(f"line {lineno}: unknown type {parts[3]}")
            families[current] = parts[3]
            continue
        if line.startswith("#") or not line:
            raise PageError(f"line {lineno}: stray line {line!r}")
        m = NAME.match(line)
        if not m:
            raise PageError(f"line {lineno}: bad metric name")
        name = m.group(0)
        pos = m.end()
        labels = {}
        if pos < len(line) and line[pos] == "{":
            labels, pos = parse_labels(line + "\n", pos, lineno)
        if line[pos : pos + 1] != " ":
            raise PageError(f"line {lineno}: no space before the value")
        value = parse_value(line[pos + 1 :], lineno)
        if current is None or current not in families:
            raise PageError(f"line {lineno}: sample {name} before any HELP/TYPE")
        family_type = families[current]
        allowed = {current}
        if family_type == "histogram":
            allowed = {current + "_bucket", current + "_sum", current + "_count"}
        if name not in allowed:
            raise PageError(f"line {lineno}: sample {name} outside its family ({current})")
        key = key_of(name, labels)
        if key in samples:
            raise PageError(f"line {lineno}: series {key} twice")
        samples[key] = value
        order.append((name, labels, value))
    return families, samples, order


def check(text):
    families, samples, order = parse(text)
    for name, kind in families.items():
        if not name.startswith("raison_"):
            raise PageError(f"family {name} lacks the raison_ prefix")
        if kind == "counter" and not name.endswith("_total"):
            raise PageError(f"counter {name} does not end in _total")
        if kind != "counter" and name.endswith("_total"):
            raise PageError(f"{kind} {name} ends in _total")
    # histograms: per family and label set (le removed)
    buckets = {}
    for name, labels, value in order:
        if name.endswith("_bucket") and families.get(name[: -len("_bucket")]) == "histogram":
            if "le" not in labels:
                raise PageError(f"{name} without le")
            base = {k: v for k, v in labels.items() if k != "le"}
            buckets.setdefault((name[: -len("_bucket")], key_of("", base)), []).append(
                (parse_value(labels["le"], 0), value)
            )
    for (family, base), series in buckets.items():
        les = [le for le, _ in series]
        if les != sorted(les) or len(set(les)) != len(les):
            raise PageError(f"{family}{base}: le not strictly ascending: {les}")
        if les[-1] != math.inf:
            raise PageError(f"{family}{base}: the last bucket is not +Inf")
        counts = [c for _, c in series]
        if any(b < a for a, b in zip(counts, counts[1:])):
            raise PageError(f"{family}{base}: buckets not cumulative: {counts}")
        count = samples.get(family + "_count" + base)
        total = samples.get(family + "_sum" + base)
        if count is None or total is None:
            raise PageError(f"{family}{base}: no _count or _sum")
        if count != counts[-1]:
            raise PageError(f"{family}{base}: _count {count} != +Inf bucket {counts[-1]}")
    return families, samples


def canonical(series):
    """'name{b="2",a="1"}' -> the key parse() uses."""
    m = NAME.match(series)
    name = m.group(0)
    labels = {}
    if m.end() < len(series) and series[m.end()] == "{":
        labels, _ = parse_labels(series + "\n", m.end(), 0)
    return key_of(name, labels)


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[2], encoding="utf-8") as f:
        text = f.read()
    try:
        families, samples = check(text)
    except PageError as e:
        print(f"prom_check: {e}", file=sys.stderr)
        return 1
    if sys.argv[1] == "check":
        return 0
    if sys.argv[1] == "families":
        for name, kind in families.items():
            print(name, kind)
        return 0
    if sys.argv[1] == "get":
        key = canonical(sys.argv[3])
        if key not in samples:
            print(f"prom_check: no series {key}", file=sys.stderr)
            return 1
        v = samples[key]
        print(int(v) if v == int(v) and abs(v) < 2**53 else repr(v))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
