// Output rendering: tables, key/value blocks, YAML, times and model URIs,
// each compared with text written by hand.
#include "cli/output.h"

#include <catch2/catch.hpp>

#include "cli/command_error.h"
#include "cli/registry_commands.h"

namespace mr::cli {
namespace {

using nlohmann::json;

TEST_CASE("tables align columns two spaces apart without trailing spaces") {
  CHECK(FormatTable({"ID", "NAME", "OWNER"}, {{"1", "fraud", ""}, {"12", "churn", "bob"}}) ==
        "ID  NAME   OWNER\n"
        "1   fraud\n"
        "12  churn  bob\n");
  CHECK(FormatTable({"A", "B"}, {}) == "A  B\n");
  // Short rows get empty cells; width counts code points, not bytes.
  CHECK(FormatTable({"N", "X"}, {{"ünï"}, {"a", "b"}}) ==
        "N    X\n"
        "ünï\n"
        "a    b\n");
}

TEST_CASE("field blocks align values after the longest key") {
  CHECK(FormatFields({{"id", "1"}, {"description", ""}, {"  team", "risk"}}) ==
        "id:           1\n"
        "description:\n"
        "  team:       risk\n");
}

TEST_CASE("YAML is block style with JSON-quoted strings") {
  json value = json::parse(R"({"name": "no", "n": 1, "ok": true, "tags": ["a", {"k": null}],
                               "yes": {}, "a b": [], "nested": {"x": [[1, 2]]}})");
  CHECK(FormatYaml(value) ==
        "\"a b\": []\n"
        "\"n\": 1\n"  // y and n are booleans to YAML 1.1 readers
        "name: \"no\"\n"
        "nested:\n"
        "  x:\n"
        "    - - 1\n"
        "      - 2\n"
        "ok: true\n"
        "tags:\n"
        "  - \"a\"\n"
        "  - k: null\n"
        "\"yes\": {}\n");
  CHECK(FormatYaml(json::array()) == "[]\n");
  CHECK(FormatYaml(json::parse(R"([{"a": 1, "b": 2}])")) == "- a: 1\n  b: 2\n");
  CHECK(FormatData(json::parse(R"({"a": [1]})"), OutputFormat::kJson) ==
        "{\n  \"a\": [\n    1\n  ]\n}\n");
}

TEST_CASE("epoch milliseconds print as UTC seconds") {
  CHECK(FormatEpochMs("0") == "1970-01-01 00:00:00");
  CHECK(FormatEpochMs("1714400000999") == "2024-04-29 14:13:20");
  CHECK(FormatEpochMs("") == "");
  CHECK(FormatEpochMs("soon") == "soon");
}

TEST_CASE("metadata values and members print as plain text") {
  CHECK(FormatMetadataValue(
            json::parse(R"({"metadataType":"MetadataIntValue","int_value":"5"})")) == "5");
  CHECK(FormatMetadataValue(json::parse(R"({"double_value":0.5})")) == "0.5");
  CHECK(FormatMetadataValue(json::parse(R"({"bool_value":false})")) == "false");
  CHECK(Member(json::parse(R"({"a":"x","b":2,"c":null})"), "a") == "x");
  CHECK(Member(json::parse(R"({"a":"x","b":2,"c":null})"), "b") == "2");
  CHECK(Member(json::parse(R"({"a":"x","b":2,"c":null})"), "c") == "");
  CHECK(Member(json::parse(R"({"a":"x"})"), "zz") == "");
}

TEST_CASE("model URIs") {
  ModelUri uri = ParseModelUri("model-registry://fraud/v1");
  CHECK((uri.model == "fraud" && uri.version == "v1"));
  uri = ParseModelUri("model-registry://fraud");
  CHECK((uri.model == "fraud" && uri.version.empty()));
  uri = ParseModelUri("model-registry://a%2Fb%20c/v%31");
  CHECK((uri.model == "a/b c" && uri.version == "v1"));
  for (const char* bad : {"fraud", "model-registry://", "model-registry://fraud/",
                          "model-registry://a/b/c", "model-registry:///v"}) {
    INFO(bad);
    CHECK_THROWS_WITH(ParseModelUri(bad), std::string("bad model URI '") + bad +
                                              "': expected model-registry://MODEL[/VERSION]");
  }
  CHECK_THROWS_WITH(ParseModelUri("model-registry://a%4"),
                    "bad model URI 'model-registry://a%4': broken %-escape");
}

}  // namespace
}  // namespace mr::cli
