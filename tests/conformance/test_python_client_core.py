"""Conformance: the high-level API of the official Python client against our server, for both client
generations (0.3.14 on /v1alpha3, 0.3.18 on /v1; see conftest.py): registration, lookups, pagers,
archive/restore through `update`, duplicate and missing names.

Expected values are the inputs the test registered, or behaviour stated in
docs/api-behaviour.md (cited as §n); never values read back from the
server under test.
"""
import time

import pytest
from client_generation import API_VERSION

# Imported lazily by pytest.importorskip so a machine without the client skips instead of erroring.
model_registry = pytest.importorskip("model_registry")
from model_registry.exceptions import StoreError  # noqa: E402
from model_registry.types import (  # noqa: E402
    ArtifactState,
    ModelArtifact,
    ModelVersion,
    ModelVersionState,
    RegisteredModel,
    RegisteredModelState,
)

# One value per Python type the client maps to a MetadataValue (§13.3): str, int, float, bool, plus
# the edge values users rely on: "" (the client's "label" convention), negative/zero ints, the
# largest int the client's own regex allows (9 digits), non-ASCII text.
EVERY_TYPE_METADATA = {
    "framework": "pytorch",
    "label_production": "",
    "unicode_text": "h\u00e9llo \u2713 \u65e5\u672c",
    "epochs": 42,
    "zero_int": 0,
    "negative_int": -17,
    "max_client_int": 123456789,
    "min_client_int": -123456789,
    "accuracy": 0.9731,
    "negative_float": -2.5e-7,
    "tiny_float": 1.5e-300,
    "is_quantized": True,
    "is_deprecated": False,
}

# Must equal the `author` the `registry` fixture (conftest.py) passes to the constructor.
AUTHOR = "conformance-author"

ARTIFACT_FIELDS = {
    "model_format_name": "onnx",
    "model_format_version": "1.17",
    "storage_key": "aws-connection-models",
    "storage_path": "models/fraud/v1",
    "service_account_name": "model-puller",
    "model_source_kind": "kfp",
    "model_source_class": "pipelinerun",
    "model_source_group": "fraud-team",
    "model_source_id": "run-0042",
    "model_source_name": "fraud-training",
}


def assert_properties_equal_with_types(actual, expected):
    """dict equality alone would accept True for 1 and 1.0 for 1; metadata types must round trip."""
    assert actual is not None, "customProperties missing from the response"
    assert set(actual) == set(expected)
    for key, want in expected.items():
        got = actual[key]
        assert type(got) is type(want), f"{key}: {got!r} ({type(got).__name__}) != {want!r}"
        assert got == want, f"{key}: {got!r} != {want!r}"


def assert_not_linked_to_an_experiment(artifact):
    """Linked under a model version, not an experiment run (§11.3). The v1 client's artifact types
    have no experiment fields at all, which is what v1 promises."""
    if API_VERSION == "v1":
        assert not hasattr(artifact, "experiment_id") and not hasattr(artifact, "experiment_run_id")
    else:
        assert artifact.experiment_id is None and artifact.experiment_run_id is None


def register(registry, name, version, **overrides):
    kwargs = {
        "version": version,
        "model_format_name": "onnx",
        "model_format_version": "1",
    }
    kwargs.update(overrides)
    uri = kwargs.pop("uri", f"s3://bucket/{name}/{version}")
    return registry.register_model(name, uri, **kwargs)


# --------------------------------------------------------------------------------------------------
# Construction


def test_constructor_succeeds_against_empty_registry_and_lists_nothing(registry):
    # The fixture built the client, which already issued GET /registered_models?pageSize=1 (§13.1);
    # a malformed envelope (missing items/nextPageToken) would have raised there.
    assert list(registry.get_registered_models()) == []


def test_constructor_accepts_address_with_explicit_port(server, monkeypatch):
    from model_registry import ModelRegistry

    monkeypatch.delenv("KF_PIPELINES_SA_TOKEN_PATH", raising=False)
    # When the address already carries a port the port argument is ignored (§13.1).
    with pytest.warns(UserWarning, match="token"):
        client = ModelRegistry(server.url, 1, author=AUTHOR, is_secure=False)
    assert client.get_registered_model("absent") is None


# --------------------------------------------------------------------------------------------------
# register_model and the three getters


def test_register_model_round_trips_every_field(registry):
    rm = registry.register_model(
        "fraud-detector",
        "s3://models-bucket/fraud/v1/model.onnx",
        version="v1.0.0",
        version_description="first candidate",
        author="alice",
        owner="team-risk",
        metadata=EVERY_TYPE_METADATA,
        **ARTIFACT_FIELDS,
    )
    assert isinstance(rm, RegisteredModel)
    assert rm.id and rm.id.isdigit()
    assert rm.name == "fraud-detector"
    assert rm.owner == "team-risk"
    assert rm.state == RegisteredModelState.LIVE

    got_rm = registry.get_registered_model("fraud-detector")
    assert isinstance(got_rm, RegisteredModel)
    assert got_rm.id == rm.id
    assert got_rm.name == "fraud-detector"
    assert got_rm.owner == "team-risk"
    assert got_rm.state == RegisteredModelState.LIVE
    assert got_rm.custom_properties is None  # register_model puts metadata on the version only
    assert got_rm.create_time_since_epoch and got_rm.create_time_since_epoch.isdigit()
    assert got_rm.last_update_time_since_epoch and got_rm.last_update_time_since_epoch.isdigit()

    mv = registry.get_model_version("fraud-detector", "v1.0.0")
    assert isinstance(mv, ModelVersion)
    assert mv.id and mv.id != rm.id
    assert mv.name == "v1.0.0"
    assert mv.author == "alice"
    assert mv.description == "first candidate"
    assert mv.state == ModelVersionState.LIVE
    assert mv.registered_model_id == rm.id
    assert_properties_equal_with_types(mv.custom_properties, EVERY_TYPE_METADATA)

    ma = registry.get_model_artifact("fraud-detector", "v1.0.0")
    assert isinstance(ma, ModelArtifact)
    assert ma.id and ma.id.isdigit()
    assert ma.name == "fraud-detector"  # the artifact is named after the model (§13.3)
    assert ma.uri == "s3://models-bucket/fraud/v1/model.onnx"
    for field, want in ARTIFACT_FIELDS.items():
        assert getattr(ma, field) == want, field
    assert ma.state == ArtifactState.UNKNOWN  # what register_model sends (§13.3 step 5)
    assert ma.custom_properties is None
    assert_not_linked_to_an_experiment(ma)


def test_register_model_defaults_author_and_owner_to_client_author(registry):
    rm = register(registry, "defaults-model", "1")
    assert rm.owner == AUTHOR
    assert registry.get_registered_model("defaults-model").owner == AUTHOR
    mv = registry.get_model_version("defaults-model", "1")
    assert mv.author == AUTHOR
    assert mv.description is None
    # An empty metadata mapping is not sent at all (§13.3) and nothing appears server-side.
    assert mv.custom_properties is None


def test_whole_number_float_metadata_keeps_its_value(registry):
    # Upstream writes 100.0 as the JSON number 100 (§3.2), which the client then reads as int, so
    # only the numeric value is guaranteed, not the Python type.
    register(registry, "whole-float", "1", metadata={"threshold": 100.0, "half": 0.5})
    props = registry.get_model_version("whole-float", "1").custom_properties
    assert props["threshold"] == 100.0
    assert isinstance(props["threshold"], (int, float)) and not isinstance(props["threshold"], bool)
    assert props["half"] == 0.5 and isinstance(props["half"], float)


@pytest.mark.parametrize(
    ("model_name", "version"),
    [
        ("model with spaces", "1.0.0"),
        ("m\u00f6del-\u00fcnicode", "v-\u00e9"),
        ("colon-model", "model:latest"),  # ':' is legal in version names (§4.2)
        ("pct_model%", "v_1%"),  # LIKE wildcards must match literally (§14 deviation-find-exact)
    ],
)
def test_register_and_get_with_unusual_names(registry, model_name, version):
    register(registry, model_name, version, uri="oci://quay.io/x/y:1")
    rm = registry.get_registered_model(model_name)
    assert rm is not None and rm.name == model_name
    mv = registry.get_model_version(model_name, version)
    assert mv is not None and mv.name == version and mv.registered_model_id == rm.id
    ma = registry.get_model_artifact(model_name, version)
    assert ma is not None and ma.name == model_name and ma.uri == "oci://quay.io/x/y:1"


def test_wildcard_characters_do_not_match_other_names(registry):
    register(registry, "abc", "v1")
    # '%' / '_' must not behave as SQL wildcards in the find routes (§14 deviation-find-exact).
    assert registry.get_registered_model("a%") is None
    assert registry.get_registered_model("a_c") is None
    assert registry.get_model_version("abc", "v%") is None
    assert registry.get_model_version("abc", "v_") is None


def test_second_version_reuses_the_registered_model(registry):
    rm1 = register(registry, "shared", "v1")
    rm2 = register(registry, "shared", "v2", uri="s3://b/shared/v2")
    assert rm2.id == rm1.id
    assert [m.name for m in registry.get_registered_models()] == ["shared"]
    assert [v.name for v in registry.get_model_versions("shared")] == ["v1", "v2"]
    assert registry.get_model_artifact("shared", "v1").uri == "s3://bucket/shared/v1"
    assert registry.get_model_artifact("shared", "v2").uri == "s3://b/shared/v2"


def test_same_version_name_under_different_models_is_allowed(registry):
    register(registry, "model-a", "v1", uri="s3://a")
    register(registry, "model-b", "v1", uri="s3://b")
    mv_a = registry.get_model_version("model-a", "v1")
    mv_b = registry.get_model_version("model-b", "v1")
    assert mv_a.id != mv_b.id
    assert registry.get_model_artifact("model-a", "v1").uri == "s3://a"
    assert registry.get_model_artifact("model-b", "v1").uri == "s3://b"


# --------------------------------------------------------------------------------------------------
# Duplicates and missing names


def test_duplicate_version_raises_store_error_naming_the_version(registry):
    register(registry, "dup-model", "v7", uri="s3://first")
    with pytest.raises(StoreError, match=r"v7.*already exists"):
        register(registry, "dup-model", "v7", uri="s3://second")
    # The failed attempt must not have changed anything server-side.
    assert [v.name for v in registry.get_model_versions("dup-model")] == ["v7"]
    assert registry.get_model_artifact("dup-model", "v7").uri == "s3://first"
    assert [m.name for m in registry.get_registered_models()] == ["dup-model"]


def test_getters_return_none_for_missing_names(registry):
    register(registry, "present", "v1")
    assert registry.get_registered_model("absent") is None
    assert registry.get_model_version("present", "absent-version") is None


def test_getters_raise_store_error_when_the_parent_is_missing(registry):
    register(registry, "present", "v1")
    with pytest.raises(StoreError, match="absent"):
        registry.get_model_version("absent", "v1")
    with pytest.raises(StoreError, match="absent-version"):
        registry.get_model_artifact("present", "absent-version")
    with pytest.raises(StoreError, match="absent"):
        registry.get_model_versions("absent")


def test_get_model_artifact_is_none_for_version_without_artifact(registry, run_async):
    rm = register(registry, "holder", "v1")
    bare = run_async(registry._api.upsert_model_version(ModelVersion(name="bare", author="bob"), rm.id))
    assert bare.registered_model_id == rm.id
    assert registry.get_model_version("holder", "bare").id == bare.id
    assert registry.get_model_artifact("holder", "bare") is None


def test_lookups_by_unknown_id_return_none(registry, run_async):
    register(registry, "present", "v1")
    api = registry._api
    assert run_async(api.get_registered_model_by_id("999999")) is None
    assert run_async(api.get_model_version_by_id("999999")) is None
    assert run_async(api.get_model_artifact_by_id("999999")) is None


def test_lookup_by_id_of_another_kind_returns_none(registry, run_async):
    # A GET on one entity path with the id of another kind is a 404 (§0), hence None in the client.
    rm = register(registry, "kinds", "v1")
    mv = registry.get_model_version("kinds", "v1")
    api = registry._api
    assert run_async(api.get_registered_model_by_id(mv.id)) is None
    assert run_async(api.get_model_version_by_id(rm.id)) is None
    assert run_async(api.get_registered_model_by_id(rm.id)).name == "kinds"
    assert run_async(api.get_model_version_by_id(mv.id)).name == "v1"


def test_find_by_external_id(registry, run_async):
    api = registry._api
    rm = run_async(api.upsert_registered_model(RegisteredModel(name="ext-model", external_id="ext-rm-1")))
    mv = run_async(api.upsert_model_version(ModelVersion(name="v1", external_id="ext-mv-1"), rm.id))
    ma = run_async(api.upsert_model_version_artifact(
        ModelArtifact(name="ext-model", uri="s3://x", external_id="ext-ma-1"), mv.id))
    assert run_async(api.get_registered_model_by_params(external_id="ext-rm-1")).id == rm.id
    assert run_async(api.get_model_version_by_params(external_id="ext-mv-1")).id == mv.id
    assert run_async(api.get_model_artifact_by_params(external_id="ext-ma-1")).id == ma.id
    assert run_async(api.get_registered_model_by_params(external_id="ext-nope")) is None


# --------------------------------------------------------------------------------------------------
# Pagers


def make_models(registry, count):
    ids = []
    for i in range(count):
        ids.append(register(registry, f"paged-model-{i:02d}", "v1").id)
    return ids


def collect(pager):
    items = list(pager)
    ids = [item.id for item in items]
    assert len(ids) == len(set(ids)), f"duplicates across pages: {ids}"
    return ids


def test_registered_models_pager_spans_pages_in_id_order(registry):
    created = make_models(registry, 23)
    by_id = sorted(created, key=int)
    assert collect(registry.get_registered_models().page_size(10)) == by_id
    assert collect(registry.get_registered_models().order_by_id().page_size(10)) == by_id
    assert collect(registry.get_registered_models().order_by_id().descending().page_size(10)) == by_id[::-1]
    # A page size equal to the total, and a page size of 1, must give the same sequence.
    assert collect(registry.get_registered_models().page_size(23)) == by_id
    assert collect(registry.get_registered_models().page_size(1)) == by_id
    # Without a page size the server returns everything in one page (§7).
    assert collect(registry.get_registered_models()) == by_id


def test_registered_models_pager_by_creation_time(registry):
    created = make_models(registry, 23)
    # Creation order equals id order; equal create times are ordered by id (§7.1).
    assert collect(registry.get_registered_models().order_by_creation_time().page_size(10)) == created
    assert collect(
        registry.get_registered_models().order_by_creation_time().descending().page_size(10)
    ) == created[::-1]


def test_registered_models_pager_by_update_time(registry):
    created = make_models(registry, 12)
    # Update them newest-first, so update-time order is the reverse of creation order (§7).
    for name_index in reversed(range(12)):
        rm = registry.get_registered_model(f"paged-model-{name_index:02d}")
        rm.description = f"touched {name_index}"
        registry.update(rm)
        # Timestamps are wall-clock milliseconds; two updates in one millisecond tie and are
        # ordered by id, the opposite of the update order checked here.
        time.sleep(0.002)
    assert collect(registry.get_registered_models().order_by_update_time().page_size(5)) == created[::-1]
    assert collect(
        registry.get_registered_models().order_by_update_time().descending().page_size(5)
    ) == created


def test_pager_next_page_token_contract(registry, run_async):
    # The pager stops only when a refetch with nextPageToken="" returns the first page again with
    # the same token (§7); check that contract directly through the client's API layer.
    from model_registry.types import ListOptions

    make_models(registry, 21)
    options = ListOptions(limit=10)
    pages = []
    tokens = []
    for _ in range(3):
        pages.append([rm.name for rm in run_async(registry._api.get_registered_models(options))])
        tokens.append(options.next_page_token)
    assert [len(p) for p in pages] == [10, 10, 1]
    assert tokens[0] and tokens[1] and tokens[0] != tokens[1]
    assert tokens[2] == ""
    # "" means "first page" again, with an identical token.
    again = [rm.name for rm in run_async(registry._api.get_registered_models(options))]
    assert again == pages[0]
    assert options.next_page_token == tokens[0]


def test_model_versions_pager_spans_pages(registry):
    created = [register(registry, "many-versions", f"v{i:02d}") for i in range(23)]
    assert len({rm.id for rm in created}) == 1
    # Another model's versions must not leak into this model's listing.
    register(registry, "other-model", "v00")
    version_ids = [registry.get_model_version("many-versions", f"v{i:02d}").id for i in range(23)]

    assert collect(registry.get_model_versions("many-versions").page_size(10)) == version_ids
    assert collect(
        registry.get_model_versions("many-versions").order_by_id().descending().page_size(10)
    ) == version_ids[::-1]
    assert collect(
        registry.get_model_versions("many-versions").order_by_creation_time().page_size(10)
    ) == version_ids
    assert collect(
        registry.get_model_versions("many-versions").order_by_creation_time().descending().page_size(10)
    ) == version_ids[::-1]
    names = [mv.name for mv in registry.get_model_versions("many-versions").page_size(7)]
    assert names == [f"v{i:02d}" for i in range(23)]


# --------------------------------------------------------------------------------------------------
# update(): archive / restore / edits


def test_archive_and_restore_registered_model(registry):
    register(registry, "archivable", "v1")
    rm = registry.get_registered_model("archivable")
    rm.state = RegisteredModelState.ARCHIVED
    updated = registry.update(rm)
    assert updated.state == RegisteredModelState.ARCHIVED
    assert registry.get_registered_model("archivable").state == RegisteredModelState.ARCHIVED
    # Archiving does not cascade to versions (§12).
    assert registry.get_model_version("archivable", "v1").state == ModelVersionState.LIVE
    # Lists return every state (§12).
    assert [m.name for m in registry.get_registered_models()] == ["archivable"]

    fetched = registry.get_registered_model("archivable")
    fetched.state = RegisteredModelState.LIVE
    assert registry.update(fetched).state == RegisteredModelState.LIVE
    assert registry.get_registered_model("archivable").state == RegisteredModelState.LIVE


def test_archive_and_restore_model_version(registry):
    register(registry, "versioned", "v1")
    register(registry, "versioned", "v2")
    mv = registry.get_model_version("versioned", "v1")
    mv.state = ModelVersionState.ARCHIVED
    assert registry.update(mv).state == ModelVersionState.ARCHIVED
    assert registry.get_model_version("versioned", "v1").state == ModelVersionState.ARCHIVED
    assert registry.get_model_version("versioned", "v2").state == ModelVersionState.LIVE
    assert registry.get_registered_model("versioned").state == RegisteredModelState.LIVE
    states = {v.name: v.state for v in registry.get_model_versions("versioned")}
    assert states == {"v1": ModelVersionState.ARCHIVED, "v2": ModelVersionState.LIVE}

    mv = registry.get_model_version("versioned", "v1")
    mv.state = ModelVersionState.LIVE
    assert registry.update(mv).state == ModelVersionState.LIVE
    assert registry.get_model_version("versioned", "v1").state == ModelVersionState.LIVE


def test_new_version_can_be_registered_under_archived_model(registry):
    register(registry, "archived-parent", "v1")
    rm = registry.get_registered_model("archived-parent")
    rm.state = RegisteredModelState.ARCHIVED
    registry.update(rm)
    register(registry, "archived-parent", "v2")  # no server-enforced rule (§12)
    assert registry.get_model_version("archived-parent", "v2").state == ModelVersionState.LIVE
    assert registry.get_registered_model("archived-parent").state == RegisteredModelState.ARCHIVED


def test_description_update_keeps_archived_state_of_model(registry):
    register(registry, "described", "v1")
    rm = registry.get_registered_model("described")
    rm.state = RegisteredModelState.ARCHIVED
    registry.update(rm)

    archived = registry.get_registered_model("described")
    archived.description = "now with a description"
    registry.update(archived)
    again = registry.get_registered_model("described")
    assert again.state == RegisteredModelState.ARCHIVED
    assert again.description == "now with a description"
    assert again.owner == AUTHOR
    assert again.create_time_since_epoch == archived.create_time_since_epoch
    # Every successful PATCH bumps lastUpdateTimeSinceEpoch (§0, §10.8).
    assert int(again.last_update_time_since_epoch) > int(archived.last_update_time_since_epoch)


def test_description_update_keeps_archived_state_of_version(registry):
    register(registry, "described-v", "v1", metadata={"k": "v"})
    mv = registry.get_model_version("described-v", "v1")
    mv.state = ModelVersionState.ARCHIVED
    registry.update(mv)

    archived = registry.get_model_version("described-v", "v1")
    archived.description = "edited"
    registry.update(archived)
    again = registry.get_model_version("described-v", "v1")
    assert again.state == ModelVersionState.ARCHIVED
    assert again.description == "edited"
    assert again.author == AUTHOR
    assert again.registered_model_id == archived.registered_model_id
    assert again.custom_properties == {"k": "v"}
    assert int(again.last_update_time_since_epoch) > int(archived.last_update_time_since_epoch)


def test_update_replaces_custom_properties(registry):
    register(registry, "props", "v1", metadata={"keep": "old", "drop": 1, "flag": True})
    mv = registry.get_model_version("props", "v1")
    mv.custom_properties = {"keep": "new", "added": 2.25, "label": ""}
    updated = registry.update(mv)
    # The client sends the whole map and the server replaces it (§10.4): "drop"/"flag" are gone.
    want = {"keep": "new", "added": 2.25, "label": ""}
    assert_properties_equal_with_types(updated.custom_properties, want)
    assert_properties_equal_with_types(registry.get_model_version("props", "v1").custom_properties, want)


def test_registered_model_custom_properties_round_trip_through_update(registry):
    register(registry, "rm-props", "v1")
    rm = registry.get_registered_model("rm-props")
    rm.custom_properties = dict(EVERY_TYPE_METADATA)
    registry.update(rm)
    assert_properties_equal_with_types(
        registry.get_registered_model("rm-props").custom_properties, EVERY_TYPE_METADATA)


def test_update_model_artifact(registry):
    register(registry, "art-model", "v1", **ARTIFACT_FIELDS)
    ma = registry.get_model_artifact("art-model", "v1")
    ma.uri = "s3://moved/elsewhere"
    ma.description = "moved"
    ma.state = ArtifactState.LIVE
    ma.custom_properties = {"checksum": "sha256:abcd", "size_mb": 512}
    updated = registry.update(ma)
    assert updated.id == ma.id

    again = registry.get_model_artifact("art-model", "v1")
    assert again.id == ma.id
    assert again.name == "art-model"
    assert again.uri == "s3://moved/elsewhere"
    assert again.description == "moved"
    assert again.state == ArtifactState.LIVE
    for field, want in ARTIFACT_FIELDS.items():
        assert getattr(again, field) == want, field
    assert_properties_equal_with_types(again.custom_properties, {"checksum": "sha256:abcd", "size_mb": 512})


def test_update_without_id_is_rejected_by_client(registry):
    # Guard for the harness itself: update() needs a server-assigned id.
    with pytest.raises(StoreError):
        registry.update(RegisteredModel(name="never-created"))
    assert registry.get_registered_model("never-created") is None
