"""Generation strategies for the custom string formats our OpenAPI document
declares (loaded through SCHEMATHESIS_HOOKS by run.sh).

These teach schemathesis how a *valid* value of a declared format looks, as it
already knows for `date-time` or `byte`; they do not touch generated requests.

- json-object-base64: standard base64 (with padding) of the UTF-8 JSON text of
  an object, the input form of MetadataStructValue.struct_value.
"""
import base64
import json

import schemathesis
from hypothesis import strategies as st

_json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
            max_size=20),
)
_json_values = st.recursive(
    _json_scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children,
                                                                      max_size=3),
    max_leaves=8,
)
_json_objects = st.dictionaries(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
            max_size=12),
    _json_values, max_size=4)

schemathesis.openapi.format(
    "json-object-base64",
    _json_objects.map(lambda obj: base64.b64encode(json.dumps(obj).encode("utf-8")).decode("ascii")),
)
