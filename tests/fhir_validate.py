#!/usr/bin/env python3
"""Independent FHIR R4 validator for Continuum's tests.

Usage:
    fhir_validate.py FILE...      validate FHIR R4 JSON resources ('-' reads stdin)
    fhir_validate.py --self-test  check that the validator accepts a good
                                  resource and rejects bad ones

Each FILE holds one FHIR R4 (4.0.1) JSON resource, often a Bundle. It is
validated with fhir.resources 6.4.0 (pydantic 1), which knows nothing of
Continuum's own code: that is the point of it. Unknown fields are rejected
(the models forbid extra fields). For a Bundle the whole Bundle is validated
and, as well, each entry's resource on its own, so that a problem names the
entry index and the resource's type and id.

Output: one line per problem on stderr,
    FILE: entry 3 (Observation/abc): valueQuantity.value: value is not a valid decimal [type_error.decimal]
and `ok FILE (N resources)` on stdout for a valid file (N counts the Bundle
and every resource in its entries).

Exit status: 0 all files valid, 1 a file is invalid (or the self-test
failed), 2 usage error, unreadable file, or fhir.resources missing.
The test harness (tests/run) creates the venv and runs --self-test first.
"""

from __future__ import annotations

import copy
import json
import sys
from typing import Any, Iterable, List, Optional, Tuple

EXPECTED_VERSION = "6.4.0"

USAGE = "usage: fhir_validate.py FILE... ('-' for stdin) | --self-test"


class UsageError(Exception):
    pass


def _load_fhir():
    try:
        import fhir.resources as fr
        from fhir.resources.resource import Resource
        from pydantic import ValidationError
    except ImportError as exc:  # pragma: no cover - environment problem
        raise UsageError(
            f"cannot import fhir.resources/pydantic ({exc}); run tests/run to create the venv"
        ) from exc
    if fr.__version__ != EXPECTED_VERSION or fr.__fhir_version__ != "4.0.1":
        raise UsageError(
            f"need fhir.resources {EXPECTED_VERSION} (FHIR 4.0.1), found "
            f"{fr.__version__} (FHIR {fr.__fhir_version__})"
        )
    return fr, ValidationError, Resource


FR, PydanticValidationError, FhirResource = None, None, None


def _fmt_loc(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(root)"


def _describe(resource: Any) -> str:
    if not isinstance(resource, dict):
        return type(resource).__name__
    rtype = resource.get("resourceType", "?")
    rid = resource.get("id")
    return f"{rtype}/{rid}" if rid is not None else str(rtype)


def _model_errors(resource: Any) -> List[Tuple[Tuple[Any, ...], str]]:
    """Validate one resource with fhir.resources: [(loc, message)]."""
    if not isinstance(resource, dict):
        return [((), f"expected a JSON object, got {type(resource).__name__}")]
    rtype = resource.get("resourceType")
    if not isinstance(rtype, str) or not rtype:
        return [(("resourceType",), "missing or not a string")]
    try:
        klass = FR.get_fhir_model_class(rtype)
    except KeyError:
        return [(("resourceType",), f"unknown resource type {rtype!r}")]
    if not issubclass(klass, FhirResource):
        # A datatype or backbone element name such as "HumanName".
        return [(("resourceType",), f"{rtype!r} is not a resource type")]
    try:
        # fhir.resources pops keys while parsing: give it a copy.
        FR.construct_fhir_element(rtype, copy.deepcopy(resource))
    except PydanticValidationError as exc:
        return [
            (tuple(err.get("loc", ())), f"{err.get('msg')} [{err.get('type')}]")
            for err in exc.errors()
        ]
    except (TypeError, ValueError, LookupError) as exc:
        return [((), f"{type(exc).__name__}: {exc}")]
    return []


# Stands in for an entry's resource once that resource has been validated on
# its own and found invalid, so that validating the whole Bundle reports only
# Bundle-level problems (and cannot be derailed by the same entry again).
_STUB = {"resourceType": "Basic", "code": {"text": "entry validated separately"}}


def validate_resource(resource: Any, path: str, problems: List[str]) -> int:
    """Validate a resource, and each resource in its entries if it is a
    Bundle; return how many resources were validated. `path` names a Bundle
    entry ("" for the file's own resource); problems are appended to
    `problems`, each prefixed with the path, or with Type/id at the top."""
    count = 1
    whole = resource
    if isinstance(resource, dict) and resource.get("resourceType") == "Bundle":
        entries = resource.get("entry")
        if isinstance(entries, list):
            whole = dict(resource, entry=list(entries))
            for i, entry in enumerate(entries):
                if not isinstance(entry, dict) or "resource" not in entry:
                    continue
                inner = entry["resource"]
                here = f"entry {i} ({_describe(inner)})"
                before = len(problems)
                count += validate_resource(
                    inner, f"{path}: {here}" if path else here, problems
                )
                if len(problems) > before:
                    whole["entry"][i] = dict(entry, resource=_STUB)
    label = path or _describe(resource)
    for loc, msg in _model_errors(whole):
        problems.append(f"{label}: {_fmt_loc(loc)}: {msg}")
    return count


def validate_text(text: str) -> Tuple[List[str], int]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return [f"not JSON: {exc}"], 0
    problems: List[str] = []
    count = validate_resource(data, "", problems)
    return problems, count


def _read(name: str) -> str:
    try:
        if name == "-":
            return sys.stdin.read()
        with open(name, encoding="utf-8") as fh:
            return fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{name}: cannot read: {exc}") from exc


def validate_files(names: List[str]) -> int:
    status = 0
    for name in names:
        shown = "<stdin>" if name == "-" else name
        try:
            text = _read(name)
        except UsageError as exc:
            print(f"fhir_validate: {exc}", file=sys.stderr)
            status = 2
            continue
        problems, count = validate_text(text)
        if problems:
            for problem in problems:
                print(f"{shown}: {problem}", file=sys.stderr)
            print(f"INVALID {shown} ({len(problems)} problems)", file=sys.stderr)
            status = max(status, 1)
        else:
            print(f"ok {shown} ({count} resources)")
    return status


GOOD_PATIENT = {
    "resourceType": "Patient",
    "id": "self-test-1",
    "active": True,
    "name": [{"family": "Doe", "given": ["Jane"]}],
    "gender": "female",
    "birthDate": "1970-01-01",
}


def _self_test_cases() -> List[Tuple[str, Any, bool, Optional[str]]]:
    """(name, resource, should_be_valid, text the first problem must contain)"""
    bad_date = dict(GOOD_PATIENT, birthDate="1970-13-45")
    unknown_field = dict(GOOD_PATIENT, favouriteColour="blue")
    observation = {
        "resourceType": "Observation",
        "id": "obs-1",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
        "subject": {"reference": "Patient/self-test-1"},
        "valueQuantity": {
            "value": 72,
            "unit": "beats/minute",
            "system": "http://unitsofmeasure.org",
            "code": "/min",
        },
    }
    good_bundle = {
        "resourceType": "Bundle",
        "id": "b1",
        "type": "collection",
        "entry": [
            {"fullUrl": "urn:uuid:1", "resource": GOOD_PATIENT},
            {"fullUrl": "urn:uuid:2", "resource": observation},
        ],
    }
    bad_bundle = copy.deepcopy(good_bundle)
    bad_bundle["entry"][1]["resource"]["valueQuantity"]["value"] = "seventy-two"
    return [
        ("good Patient", GOOD_PATIENT, True, None),
        ("Patient with birthDate 1970-13-45", bad_date, False, "birthDate"),
        ("Patient with an unknown field", unknown_field, False, "favouriteColour"),
        ("Patient without resourceType", {"id": "x"}, False, "resourceType"),
        ("a datatype posing as a resource", {"resourceType": "HumanName"}, False, "HumanName"),
        ("good Bundle", good_bundle, True, None),
        ("Bundle with a bad Observation", bad_bundle, False, "entry 1 (Observation/obs-1): valueQuantity.value"),
    ]


def self_test() -> int:
    failures = 0
    for name, resource, should_be_valid, must_mention in _self_test_cases():
        problems, _ = validate_text(json.dumps(resource))
        if should_be_valid and problems:
            print(f"self-test FAILED: {name} rejected: {problems}", file=sys.stderr)
            failures += 1
        elif not should_be_valid and not problems:
            print(f"self-test FAILED: {name} accepted", file=sys.stderr)
            failures += 1
        elif must_mention and not any(must_mention in p for p in problems):
            print(
                f"self-test FAILED: {name}: no problem mentions {must_mention!r}: {problems}",
                file=sys.stderr,
            )
            failures += 1
    cases = len(_self_test_cases())
    if failures:
        print(f"self-test: {failures} of {cases} checks failed", file=sys.stderr)
        return 1
    print(f"self-test ok: fhir.resources {FR.__version__} (FHIR {FR.__fhir_version__}), {cases} checks")
    return 0


def main(argv: List[str]) -> int:
    global FR, PydanticValidationError, FhirResource
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__ if argv else USAGE, file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    try:
        FR, PydanticValidationError, FhirResource = _load_fhir()
    except UsageError as exc:
        print(f"fhir_validate: {exc}", file=sys.stderr)
        return 2
    if argv == ["--self-test"]:
        return self_test()
    if any(a.startswith("--") for a in argv):
        print(USAGE, file=sys.stderr)
        return 2
    return validate_files(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
