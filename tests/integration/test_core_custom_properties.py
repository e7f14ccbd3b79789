"""customProperties: every MetadataValue kind on create, output and PATCH, for
registered models, model versions and model artifacts (docs/api-behaviour.md §3.2, §10.4)."""
import base64
import json

import pytest

from helpers import (cp_bool, cp_double, cp_int, cp_string, cp_struct_b64, create_mv, create_rm,
                     expect_error, expect_json, get, openapi_validation_suspended, patch,
                     post, unique)
from helpers import server, shared_server  # noqa: F401  (fixture overrides)


@pytest.fixture(scope="module")
def api(shared_server):
    return shared_server.api


@pytest.fixture(scope="module")
def parent_rm(api):
    return create_rm(api)


@pytest.fixture(scope="module")
def parent_mv(api, parent_rm):
    return create_mv(api, parent_rm["id"])


KINDS = ["registered_model", "model_version", "model_artifact", "version_artifact"]


class Kind:
    """How to create, fetch and patch one entity kind carrying customProperties."""

    def __init__(self, api, kind, rm, mv):
        self.api, self.kind, self.rm, self.mv = api, kind, rm, mv

    def create_request(self, custom_properties):
        if self.kind == "registered_model":
            return post(self.api, "/registered_models",
                        {"name": unique("cp"), "customProperties": custom_properties})
        if self.kind == "model_version":
            return post(self.api, "/model_versions",
                        {"name": unique("cp"), "registeredModelId": self.rm["id"],
                         "customProperties": custom_properties})
        if self.kind == "model_artifact":
            return post(self.api, "/model_artifacts",
                        {"name": unique("cp"), "customProperties": custom_properties})
        return post(self.api, f"/model_versions/{self.mv['id']}/artifacts",
                    {"artifactType": "model-artifact", "name": unique("cp"),
                     "customProperties": custom_properties})

    def create(self, custom_properties):
        return expect_json(self.create_request(custom_properties), 201)

    def path(self, entity):
        collection = {"registered_model": "registered_models",
                      "model_version": "model_versions"}.get(self.kind, "model_artifacts")
        return f"/{collection}/{entity['id']}"

    def fetch(self, entity):
        return expect_json(get(self.api, self.path(entity)), 200)

    def patch(self, entity, body):
        return patch(self.api, self.path(entity), body)


@pytest.fixture(params=KINDS)
def kind(request, api, parent_rm, parent_mv):
    return Kind(api, request.param, parent_rm, parent_mv)


STRUCT = {"a": 1, "b": [1, "two", True, None], "c": {"d": "e"}, "s": "quote\"d"}

ALL_VALUES_IN = {
    "str": cp_string("hello"),
    "empty": cp_string(""),
    "int": cp_int("42"),
    "neg": cp_int("-7"),
    "padded": cp_int("007"),
    "zero": cp_int("-0"),
    "nine": cp_int("999999999"),
    "dbl": cp_double(0.25),
    "whole": cp_double(100.0),
    "tiny": cp_double(-1.5e-7),
    "yes": cp_bool(True),
    "no": cp_bool(False),
    "struct": cp_struct_b64(STRUCT),
    "dotted.key-name with space": cp_string("x"),
}


def check_all_values_out(out):
    assert set(out) == set(ALL_VALUES_IN)
    assert out["str"] == cp_string("hello")
    assert out["empty"] == cp_string("")
    assert out["int"] == cp_int("42")
    assert out["neg"] == cp_int("-7")
    assert out["padded"] == cp_int("7")
    assert out["zero"] == cp_int("0")
    assert out["nine"] == cp_int("999999999")
    for key, expected in (("dbl", 0.25), ("whole", 100), ("tiny", -1.5e-7)):
        value = out[key]
        assert set(value) == {"metadataType", "double_value"}
        assert value["metadataType"] == "MetadataDoubleValue"
        assert isinstance(value["double_value"], (int, float))
        assert not isinstance(value["double_value"], bool)
        assert value["double_value"] == expected
    assert out["yes"] == cp_bool(True)
    assert out["no"] == cp_bool(False)
    struct = out["struct"]
    assert set(struct) == {"metadataType", "struct_value"}
    assert struct["metadataType"] == "MetadataStructValue"
    assert isinstance(struct["struct_value"], str)
    assert json.loads(struct["struct_value"]) == STRUCT
    assert out["dotted.key-name with space"] == cp_string("x")


def test_every_value_kind_round_trips(kind):
    created = kind.create(ALL_VALUES_IN)
    check_all_values_out(created["customProperties"])
    check_all_values_out(kind.fetch(created)["customProperties"])


def test_nine_digit_extremes_round_trip(kind):
    # Nine digits is the limit: always an int32 (§3.2) and always readable by
    # the official client, whose int_value regex allows at most nine digits.
    created = kind.create({"max": cp_int("999999999"), "min": cp_int("-999999999")})
    fetched = kind.fetch(created)
    for entity in (created, fetched):
        assert entity["customProperties"] == {"max": cp_int("999999999"),
                                              "min": cp_int("-999999999")}


@pytest.mark.parametrize("text", ["2147483647", "-2147483648", "1000000000", "+5", "0x10"])
def test_int_values_beyond_nine_digits_or_not_decimal_are_400(api, text):
    name = unique("int")
    resp = post(api, "/registered_models", {"name": name, "customProperties": {"k": cp_int(text)}})
    expect_error(resp, 400)
    expect_error(get(api, "/registered_model", params={"name": name}), 404)


def test_struct_output_is_plain_json_not_base64(api):
    rm = create_rm(api, customProperties={"s": cp_struct_b64({"k": "v"})})
    text = rm["customProperties"]["s"]["struct_value"]
    assert json.loads(text) == {"k": "v"}


def test_empty_struct_object(api):
    rm = create_rm(api, customProperties={"s": cp_struct_b64({})})
    assert json.loads(rm["customProperties"]["s"]["struct_value"]) == {}


def test_extra_keys_in_a_value_are_ignored(api):
    value = {"metadataType": "MetadataStringValue", "string_value": "v", "int_value": "3",
             "junk": {"a": 1}}
    rm = create_rm(api, customProperties={"k": value})
    assert rm["customProperties"]["k"] == cp_string("v")


def test_string_value_without_payload_is_empty_string(api):
    rm = create_rm(api, customProperties={"k": {"metadataType": "MetadataStringValue"}})
    assert rm["customProperties"]["k"] == cp_string("")


def b64(text):
    return base64.b64encode(text.encode()).decode()


BAD_VALUES = {
    "int not a number": cp_int("abc"),
    "int with fraction": cp_int("1.5"),
    "int above int32": cp_int("2147483648"),
    "int below int32": cp_int("-2147483649"),
    "int as json number": {"metadataType": "MetadataIntValue", "int_value": 5},
    "double as string": {"metadataType": "MetadataDoubleValue", "double_value": "1.5"},
    "bool as string": {"metadataType": "MetadataBoolValue", "bool_value": "true"},
    "string as number": {"metadataType": "MetadataStringValue", "string_value": 3},
    "struct not base64": {"metadataType": "MetadataStructValue", "struct_value": "***"},
    "struct base64 of array": {"metadataType": "MetadataStructValue", "struct_value": b64("[1]")},
    "struct base64 of string": {"metadataType": "MetadataStructValue",
                                "struct_value": b64('"text"')},
    "struct base64 of non json": {"metadataType": "MetadataStructValue",
                                  "struct_value": b64("not json")},
    "proto": {"metadataType": "MetadataProtoValue", "type": "t", "proto_value": b64("x")},
    "unknown type": {"metadataType": "MetadataFooValue", "string_value": "x"},
    "lower-case type": {"metadataType": "metadatastringvalue", "string_value": "x"},
    "missing type": {"string_value": "x"},
    "value not an object": "plain",
    "value is array": [cp_string("x")],
}


@pytest.mark.parametrize("case", list(BAD_VALUES))
def test_bad_values_on_create_are_400(kind, case):
    expect_error(kind.create_request({"k": BAD_VALUES[case]}), 400)


@pytest.mark.parametrize("case", ["int above int32", "struct not base64", "proto", "missing type"])
def test_bad_values_on_patch_are_400_and_change_nothing(kind, case):
    created = kind.create({"keep": cp_string("me")})
    expect_error(kind.patch(created, {"customProperties": {"k": BAD_VALUES[case]}}), 400)
    assert kind.fetch(created)["customProperties"] == {"keep": cp_string("me")}


def test_patch_replaces_the_whole_map(kind):
    created = kind.create({"a": cp_string("1"), "b": cp_int("2")})
    updated = expect_json(kind.patch(created, {"customProperties": {"c": cp_bool(True),
                                                                    "a": cp_string("x")}}), 200)
    assert updated["customProperties"] == {"c": cp_bool(True), "a": cp_string("x")}
    assert kind.fetch(created)["customProperties"] == updated["customProperties"]


def test_patch_absent_or_null_keeps_the_map(kind):
    created = kind.create({"a": cp_string("1")})
    kept = expect_json(kind.patch(created, {"description": "d"}), 200)
    assert kept["customProperties"] == {"a": cp_string("1")}
    kept = expect_json(kind.patch(created, {"customProperties": None}), 200)
    assert kept["customProperties"] == {"a": cp_string("1")}


def test_patch_empty_object_clears_the_map(kind):
    created = kind.create({"a": cp_string("1"), "b": cp_double(2.5)})
    cleared = expect_json(kind.patch(created, {"customProperties": {}}), 200)
    assert "customProperties" not in cleared
    assert "customProperties" not in kind.fetch(created)


def test_patch_can_change_a_value_kind(kind):
    created = kind.create({"a": cp_string("1")})
    updated = expect_json(kind.patch(created, {"customProperties": {"a": cp_int("1")}}), 200)
    assert updated["customProperties"] == {"a": cp_int("1")}


def test_custom_properties_must_be_an_object(api):
    expect_error(post(api, "/registered_models",
                      {"name": unique("cp"), "customProperties": [cp_string("x")]}), 400)
