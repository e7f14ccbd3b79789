// JSON string quoting shared by responses and JSON logs (src/common/json_string.*).
#include "common/json_string.h"

#include <catch2/catch.hpp>

namespace mr {
namespace {

std::string Quoted(std::string_view value) {
  std::string out = "prefix:";
  AppendJsonString(out, value);
  return out;
}

TEST_CASE("Plain text is quoted and appended", "[common][json]") {
  CHECK(Quoted("") == "prefix:\"\"");
  CHECK(Quoted("model-a v1") == "prefix:\"model-a v1\"");
}

TEST_CASE("Quotes, backslashes and control characters are escaped", "[common][json]") {
  CHECK(Quoted("say \"hi\"") == R"(prefix:"say \"hi\"")");
  CHECK(Quoted("C:\\path") == R"(prefix:"C:\\path")");
  CHECK(Quoted("a\nb\rc\td\be\ff") == R"(prefix:"a\nb\rc\td\be\ff")");
  CHECK(Quoted(std::string_view("\x01\x1f\0", 3)) == R"(prefix:"\u0001\u001f\u0000")");
}

TEST_CASE("Valid UTF-8 passes through unchanged", "[common][json]") {
  CHECK(Quoted("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80") ==
        "prefix:\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"");
}

TEST_CASE("Invalid UTF-8 becomes U+FFFD, one per bad byte", "[common][json]") {
  const std::string kReplacement = "\xEF\xBF\xBD";
  CHECK(Quoted("a\xFFz") == "prefix:\"a" + kReplacement + "z\"");
  // An overlong encoding of '/' and a UTF-16 surrogate are not valid UTF-8.
  CHECK(Quoted("\xC0\xAF") == "prefix:\"" + kReplacement + kReplacement + "\"");
  CHECK(Quoted("\xED\xA0\x80") == "prefix:\"" + kReplacement + kReplacement + kReplacement + "\"");
  // A sequence cut short at the end of the text.
  CHECK(Quoted("ok\xE2\x82") == "prefix:\"ok" + kReplacement + kReplacement + "\"");
}

}  // namespace
}  // namespace mr
