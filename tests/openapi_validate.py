"""Checks HTTP responses against the OpenAPI documents in openapi/ (one per API version).

Integration tests call `validate_response` on what the server answered; it raises
`ResponseValidationError` (an AssertionError) when the status is not declared for the
operation or the body does not match the declared schema.

    spec = load_spec()                      # openapi/v1alpha3.yaml, parsed once
    validate_response(spec, "GET", "/registered_models/7", 200, body)
    spec = spec_for("http://h:1/api/model_registry/v1/registered_models/7")   # openapi/v1.yaml

`path` may be a path template from the spec, a concrete path with or without the spec's
prefix (`/api/model_registry/v1` or `/api/model_registry/v1alpha3`), or a full URL (query and
fragment are ignored). `spec_for` picks the document of the version a path or URL names.

Validation uses jsonschema_rs (already pinned in tests/requirements.txt for schemathesis).
OpenAPI 3.0 schemas are turned into JSON Schema draft 7 first: a `oneOf` with a
`discriminator` becomes a dispatch on the discriminator value, so a bad artifact or custom
property reports the field that is wrong rather than "matches none of the variants".
"""
import copy
import os
import re
from urllib.parse import urlsplit

import jsonschema_rs
import yaml

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Each API version's prefix and its document.
SPEC_PATHS = {
    "/api/model_registry/v1": os.path.join(REPO_ROOT, "openapi", "v1.yaml"),
    "/api/model_registry/v1alpha3": os.path.join(REPO_ROOT, "openapi", "v1alpha3.yaml"),
}
DEFAULT_PREFIX = "/api/model_registry/v1alpha3"
DEFAULT_SPEC_PATH = SPEC_PATHS[DEFAULT_PREFIX]
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
MAX_REPORTED_ERRORS = 10


class ResponseValidationError(AssertionError):
    """A response that the OpenAPI document does not allow."""


class Operation:
    """One (method, path template) of the document."""

    def __init__(self, method, template, definition):
        self.method = method
        self.template = template
        self.definition = definition
        self.operation_id = definition.get("operationId")
        segments = template.strip("/").split("/")
        self.literal_segments = sum(1 for s in segments if not s.startswith("{"))
        pattern = "/".join("[^/]+" if s.startswith("{") else re.escape(s) for s in segments)
        self.regex = re.compile("^/" + pattern + "$")

    def __repr__(self):
        return f"{self.method.upper()} {self.template} ({self.operation_id})"


class Spec:
    """A parsed OpenAPI document with operation lookup and cached validators."""

    def __init__(self, document):
        self.document = document
        self.operations = []
        for template, item in document.get("paths", {}).items():
            for method, definition in item.items():
                if method in HTTP_METHODS:
                    self.operations.append(Operation(method, template, definition))
        self._components = _to_draft7(document.get("components", {}), document)
        self._validators = {}
        # The version prefix every path of the document starts with.
        self.prefix = _prefix_of(next(iter(document.get("paths", {})), "")) or DEFAULT_PREFIX

    def resolve(self, node):
        """Follows a local `$ref` chain (e.g. to components/responses)."""
        seen = set()
        while isinstance(node, dict) and "$ref" in node:
            target = node["$ref"]
            if target in seen:
                raise ValueError(f"$ref cycle at {target}")
            seen.add(target)
            node = _follow_pointer(self.document, target)
        return node

    def find_operation(self, method, path):
        """Returns the Operation for `method` on `path` (template, path or URL)."""
        path = _normalise_path(path, self.prefix)
        candidates = [op for op in self.operations
                      if op.template == path or op.regex.match(path)]
        if not candidates:
            raise ResponseValidationError(f"no path of the OpenAPI document matches {path}")
        # A literal segment beats a parameter: /experiment_runs/metric_history is not
        # /experiment_runs/{experimentrunId}.
        best = max(op.literal_segments for op in candidates)
        candidates = [op for op in candidates if op.literal_segments == best]
        for op in candidates:
            if op.method == method.lower():
                return op
        raise ResponseValidationError(
            f"{method.upper()} is not declared for {candidates[0].template} "
            f"(declared: {', '.join(sorted(op.method.upper() for op in candidates))})")

    def response_for(self, operation, status):
        """Returns the (resolved) response object declared for `status`."""
        responses = operation.definition.get("responses", {})
        for key in (str(status), f"{status // 100}XX", f"{status // 100}xx", "default"):
            if key in responses:
                return self.resolve(responses[key])
        raise ResponseValidationError(
            f"{operation!r}: status {status} is not declared "
            f"(declared: {', '.join(sorted(responses))})")

    def validator(self, operation, status, media_type):
        key = (operation.method, operation.template, status, media_type)
        if key not in self._validators:
            response = self.response_for(operation, status)
            content = response.get("content") or {}
            if media_type not in content:
                raise ResponseValidationError(
                    f"{operation!r}: status {status} declares no {media_type} body "
                    f"(declared: {', '.join(sorted(content)) or 'none'})")
            schema = content[media_type].get("schema")
            if schema is None:
                self._validators[key] = None
            else:
                root = {"allOf": [_to_draft7(schema, self.document)],
                        "components": self._components}
                self._validators[key] = jsonschema_rs.Draft7Validator(
                    root, validate_formats=False)
        return self._validators[key]


_loaded = {}


def load_spec(path=None):
    """Parses the OpenAPI document at `path` (default: the repository's) once."""
    path = os.path.abspath(path or DEFAULT_SPEC_PATH)
    if path not in _loaded:
        with open(path, encoding="utf-8") as f:
            _loaded[path] = Spec(yaml.safe_load(f))
    return _loaded[path]


def spec_for(path_or_url):
    """The document of the API version whose prefix `path_or_url` starts with."""
    prefix = _prefix_of(_path_of(path_or_url))
    if prefix not in SPEC_PATHS:
        raise ResponseValidationError(f"{path_or_url} is under no API version's prefix")
    return load_spec(SPEC_PATHS[prefix])


def as_spec(spec):
    """Accepts a Spec, a parsed document (dict) or a file path."""
    if isinstance(spec, Spec):
        return spec
    if isinstance(spec, dict):
        return Spec(spec)
    return load_spec(spec)


def operation_for(spec, method, path):
    """Returns the operation definition (a dict) for `method` on `path`."""
    return as_spec(spec).find_operation(method, path).definition


def validate_response(spec, method, path_template_or_url, status, json_body,
                      content_type="application/json"):
    """Raises ResponseValidationError unless the document allows this response.

    `json_body` is the decoded body (for a text/* response, the text itself).
    `content_type` may carry parameters (`application/json; charset=UTF-8`).
    """
    spec = as_spec(spec)
    operation = spec.find_operation(method, path_template_or_url)
    media_type = content_type.split(";", 1)[0].strip().lower()
    validator = spec.validator(operation, int(status), media_type)
    if validator is None:
        return
    errors = list(validator.iter_errors(json_body))
    if not errors:
        return
    lines = [f"{operation!r} answered {status} with a body the OpenAPI document does not allow:"]
    for error in errors[:MAX_REPORTED_ERRORS]:
        where = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}"
                              for p in error.instance_path)
        lines.append(f"  at {where}: {error.message}")
    if len(errors) > MAX_REPORTED_ERRORS:
        lines.append(f"  ... and {len(errors) - MAX_REPORTED_ERRORS} more")
    raise ResponseValidationError("\n".join(lines))


# ------------------------------------------------------------------ internals

def _path_of(path_or_url):
    if "://" in path_or_url:
        path_or_url = urlsplit(path_or_url).path
    return path_or_url.split("?", 1)[0].split("#", 1)[0]


def _prefix_of(path):
    """`/api/model_registry/<version>` of `path`, or None."""
    match = re.match(r"^(/api/model_registry/[^/]+)(/|$)", path)
    return match.group(1) if match else None


def _normalise_path(path, prefix):
    path = _path_of(path)
    if _prefix_of(path) is None:
        path = prefix + (path if path.startswith("/") else "/" + path)
    return path


def _follow_pointer(document, ref):
    if not ref.startswith("#/"):
        raise ValueError(f"only local references are supported: {ref}")
    node = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _to_draft7(node, document):
    """Rewrites OpenAPI 3.0 schema keywords into JSON Schema draft 7 (recursively)."""
    if isinstance(node, list):
        return [_to_draft7(item, document) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _to_draft7(value, document) for key, value in node.items()}
    if isinstance(node.get("nullable"), bool):
        if node.pop("nullable") and "type" in node:
            node["type"] = [node["type"], "null"]
    discriminator = node.get("discriminator")
    variants = node.get("oneOf") or node.get("anyOf")
    if isinstance(discriminator, dict) and "propertyName" in discriminator and variants:
        del node["discriminator"]
        node = _dispatch_on_discriminator(node, discriminator, variants)
    return node


def _dispatch_on_discriminator(node, discriminator, variants):
    prop = discriminator["propertyName"]
    mapping = dict(discriminator.get("mapping") or {})
    if not mapping:
        # Implicit mapping: the value is the schema's name.
        for variant in variants:
            if "$ref" in variant:
                mapping[variant["$ref"].rsplit("/", 1)[-1]] = variant["$ref"]
    dispatched = {key: value for key, value in node.items() if key not in ("oneOf", "anyOf")}
    dispatched["type"] = "object"
    dispatched["required"] = sorted(set(dispatched.get("required", [])) | {prop})
    properties = dict(dispatched.get("properties", {}))
    properties[prop] = {"enum": sorted(mapping)}
    dispatched["properties"] = properties
    dispatched["allOf"] = list(dispatched.get("allOf", [])) + [
        {"if": {"properties": {prop: {"const": value}}, "required": [prop]},
         "then": {"$ref": target}}
        for value, target in sorted(mapping.items())]
    return copy.deepcopy(dispatched)
