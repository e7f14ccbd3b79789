// --meta parsing: inferred and forced types, with the exact wire JSON and
// the exact usage messages written by hand (docs/CLI.md).
#include "cli/metadata.h"

#include <catch2/catch.hpp>

#include "cli/command_error.h"

namespace mr::cli {
namespace {

using nlohmann::json;

json Wire(const std::string& argument) { return ParseMetaArgument(argument).value; }

std::string UsageMessage(const std::string& argument) {
  try {
    ParseMetaArgument(argument);
  } catch (const CommandError& e) {
    CHECK(e.exit_code() == kExitUsage);
    return e.what();
  }
  return "(no error)";
}

TEST_CASE("meta values are typed by their text") {
  CHECK(Wire("k=10") == json::parse(R"({"metadataType":"MetadataIntValue","int_value":"10"})"));
  CHECK(Wire("k=-3") == json::parse(R"({"metadataType":"MetadataIntValue","int_value":"-3"})"));
  CHECK(Wire("k=+3") == json::parse(R"({"metadataType":"MetadataIntValue","int_value":"3"})"));
  CHECK(Wire("k=0.5") ==
        json::parse(R"({"metadataType":"MetadataDoubleValue","double_value":0.5})"));
  CHECK(Wire("k=1e3") ==
        json::parse(R"({"metadataType":"MetadataDoubleValue","double_value":1000.0})"));
  CHECK(Wire("k=true") == json::parse(R"({"metadataType":"MetadataBoolValue","bool_value":true})"));
  CHECK(Wire("k=false") ==
        json::parse(R"({"metadataType":"MetadataBoolValue","bool_value":false})"));
  for (const char* text :
       {"True", "yes", "nan", "inf", "0x10", "1.2.3", "", "a=b", " 1", "99999999999999999999"}) {
    INFO(text);
    CHECK(Wire(std::string("k=") + text) ==
          json({{"metadataType", "MetadataStringValue"}, {"string_value", text}}));
  }
}

TEST_CASE("meta key and value split at the first '='; the type at the last ':'") {
  MetaArgument m = ParseMetaArgument("url:string=s3://b/k=v");
  CHECK(m.key == "url");
  CHECK(m.value["string_value"] == "s3://b/k=v");
  m = ParseMetaArgument("a:b:int=7");
  CHECK(m.key == "a:b");
  CHECK(m.value["int_value"] == "7");
}

TEST_CASE("forced meta types") {
  CHECK(Wire("k:string=10")["string_value"] == "10");
  CHECK(Wire("k:int=-9223372036854775808")["int_value"] == "-9223372036854775808");
  CHECK(Wire("k:double=2") ==
        json::parse(R"({"metadataType":"MetadataDoubleValue","double_value":2.0})"));
  CHECK(Wire("k:bool=false")["bool_value"] == false);
}

TEST_CASE("bad meta arguments are usage errors with exact messages") {
  CHECK(UsageMessage("k") == "bad --meta 'k': expected KEY=VALUE or KEY:TYPE=VALUE");
  CHECK(UsageMessage("=v") == "bad --meta '=v': expected KEY=VALUE or KEY:TYPE=VALUE");
  CHECK(UsageMessage(":int=1") == "bad --meta ':int=1': expected KEY=VALUE or KEY:TYPE=VALUE");
  CHECK(UsageMessage("k:list=1") ==
        "bad --meta 'k:list=1': TYPE must be string, int, double or bool");
  CHECK(UsageMessage("k:int=") == "bad --meta 'k:int=': '' is not an int (a 64-bit integer)");
  CHECK(UsageMessage("k:int=9223372036854775808") ==
        "bad --meta 'k:int=9223372036854775808': '9223372036854775808' is not an int (a 64-bit "
        "integer)");
  CHECK(UsageMessage("k:double=1e999") ==
        "bad --meta 'k:double=1e999': '1e999' is not a double (a finite decimal number)");
  CHECK(UsageMessage("k:bool=1") == "bad --meta 'k:bool=1': '1' is not a bool (true or false)");
}

TEST_CASE("meta arguments become one customProperties object; keys are unique") {
  json props = ParseMetaArguments({"a=1", "b=x"});
  CHECK(props == json::parse(R"({
    "a": {"metadataType": "MetadataIntValue", "int_value": "1"},
    "b": {"metadataType": "MetadataStringValue", "string_value": "x"}})"));
  CHECK(ParseMetaArguments({}) == json::object());
  CHECK_THROWS_WITH(ParseMetaArguments({"a=1", "a:string=1"}), "--meta key 'a' is given twice");
}

}  // namespace
}  // namespace mr::cli
