#!/usr/bin/env python3
"""The JSON Schema `faultline schema` prints against the parser it claims to
describe, and against the experiments faultline ships.

  schema_test.py FAULTLINE SOURCE_DIR

0. docs/experiment.schema.json (the checkout's, for editors) is its output.
1. Every experiment in experiments/ and tests/experiments/ that faultline
   validate accepts, the schema accepts too.
2. Every key the schema allows in a section or a kind's table, the parser
   knows: a probe experiment with that key added gets no "unknown key" error.
3. A key the schema does not list, the parser refuses as unknown, in every
   table, and so does the schema; so does every file of the invalid corpus
   whose expected error is an unknown key.
"""
import json
import os
import subprocess
import sys
import tempfile
import tomllib

import jsonschema

faultline, source = sys.argv[1], sys.argv[2]
schema = json.loads(subprocess.run([faultline, "schema"], check=True, capture_output=True,
                                   text=True).stdout)
jsonschema.Draft7Validator.check_schema(schema)
with open(os.path.join(source, "docs/experiment.schema.json")) as f:
    committed = json.load(f)
failures = []
if committed != schema:
    failures.append("docs/experiment.schema.json is not what faultline schema prints: "
                    "faultline schema > docs/experiment.schema.json")
validator = jsonschema.Draft7Validator(schema)


def schema_errors(doc):
    return [e.message for e in validator.iter_errors(doc)]


def validate(path):
    r = subprocess.run([faultline, "validate", path], capture_output=True, text=True)
    return r.returncode, r.stderr


# 1. Shipped experiments.
shipped = 0
for folder in ["experiments", "tests/experiments"]:
    for dirpath, _, files in os.walk(os.path.join(source, folder)):
        if "invalid" in dirpath.split(os.sep):
            continue
        for name in sorted(files):
            if not name.endswith(".toml"):
                continue
            path = os.path.join(dirpath, name)
            code, err = validate(path)
            if code != 0:
                if folder == "experiments":  # every shipped example must be valid
                    failures.append(f"{path}: faultline validate refuses it: {err.strip()}")
                continue  # a fixture for another test (a missing program, say)
            with open(path, "rb") as f:
                doc = tomllib.load(f)
            errors = schema_errors(doc)
            shipped += 1
            if errors:
                failures.append(f"{path}: faultline accepts it, the schema does not: {errors[:3]}")

# 2 and 3. Probes: a base experiment the parser accepts, with one key added.
BASE = """
[experiment]
name = "probe"
duration = "5s"

[[region]]
name = "us-east-1"
geo = "us"

[[service]]
name = "app"
host = "app"
command = ["/bin/true"]
"""


def toml_value(spec):
    t = spec.get("type")
    if "enum" in spec:
        return json.dumps(spec["enum"][0])
    if "const" in spec:
        return json.dumps(spec["const"])
    if t == "string":
        return '"1s"' if "pattern" in spec else '"x"'
    if t in ("integer", "number"):
        return str(spec.get("minimum", 1))
    if t == "array":
        items = spec.get("items", {})
        return "[[\"x\"]]" if items.get("type") == "array" else "[\"x\"]"
    if t == "object":
        return "{}"
    return '"x"'


def probe(section, key_line, kind=None, array=True):
    """The parser's errors for the base experiment with `key_line` in `section`."""
    if section == "experiment":
        text = BASE.replace('duration = "5s"\n', 'duration = "5s"\n' + key_line + "\n")
        return parse_and_validate(text)
    text = BASE
    header = f"[[{section}]]" if array else f"[{section}]"
    body = (f'kind = "{kind}"\n' if kind else "") + key_line + "\n"
    if section == "service":  # one more service, so the base's stays valid
        body = 'name = "probe"\nhost = "app"\ncommand = ["/bin/true"]\n' + key_line + "\n"
    text += f"\n{header}\n{body}"
    return parse_and_validate(text)


def parse_and_validate(text):
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
        f.write(text)
        path = f.name
    try:
        _, err = validate(path)
        with open(path, "rb") as f2:
            doc = tomllib.load(f2)
    finally:
        os.unlink(path)
    return err, doc


tables = {  # section -> (schema of its table, array of tables?)
    "experiment": (schema["properties"]["experiment"], False),
    "region": (schema["properties"]["region"]["items"], True),
    "service": (schema["properties"]["service"]["items"], True),
    "workload": (schema["properties"]["workload"], False),
    "wan": (schema["properties"]["wan"], False),
    "nemesis": (schema["properties"]["nemesis"]["items"], True),
}
probed = 0
for section, (table, array) in tables.items():
    for key, spec in table["properties"].items():
        if (section == "experiment" and key in ("name", "duration")) or (
                section in ("region", "service") and key in ("name", "host", "command", "geo")):
            continue  # in the base already
        err, _ = probe(section, f"{key} = {toml_value(spec)}", array=array)
        probed += 1
        if f"unknown key '{key}'" in err:
            failures.append(f"[{section}] {key}: in the schema, unknown to the parser: {err.strip()}")
    err, doc = probe(section, "no_such_key = 1", array=array)
    if "unknown key 'no_such_key'" not in err:
        failures.append(f"[{section}]: the parser took an unknown key: {err.strip()}")
    if not schema_errors(doc):
        failures.append(f"[{section}]: the schema took an unknown key")

for section in ("fault", "invariant"):
    items = schema["properties"][section]["items"]
    for case in items["allOf"]:
        kind = case["if"]["properties"]["kind"]["const"]
        for key, spec in case["then"]["properties"].items():
            if key == "kind":
                continue
            err, _ = probe(section, f"{key} = {toml_value(spec)}", kind=kind)
            probed += 1
            if f"unknown key '{key}'" in err or f"'{key}' is not a key of" in err:
                failures.append(f"[[{section}]] kind {kind}, {key}: in the schema, refused by the parser: {err.strip()}")
        err, doc = probe(section, "no_such_key = 1", kind=kind)
        if "no_such_key" not in err:
            failures.append(f"[[{section}]] kind {kind}: the parser took an unknown key")
        if not schema_errors(doc):
            failures.append(f"[[{section}]] kind {kind}: the schema took an unknown key")

invalid_unknown = 0
corpus = os.path.join(source, "tests/experiments/invalid")
for name in sorted(os.listdir(corpus)):
    path = os.path.join(corpus, name)
    with open(path) as f:
        first = f.readline()
    if "unknown key" not in first:
        continue
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except tomllib.TOMLDecodeError:
        continue
    invalid_unknown += 1
    if not schema_errors(doc):
        failures.append(f"{path}: an unknown key the schema accepts")

for f in failures:
    print("FAIL:", f)
print(f"schema: {shipped} shipped experiments valid, {probed} keys probed against the parser, "
      f"{invalid_unknown} unknown-key files of the invalid corpus refused; {len(failures)} failures")
sys.exit(1 if failures else 0)
