// Page tokens are base64("<id>:<sortValue>") without padding
// (docs/api-behaviour.md §7); decoding accepts padded tokens too.
// Every expected token below was computed by hand (`printf '5:5' | base64`),
// never by the code under test.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "model_registry/registry_service.h"

namespace mr {
namespace {

std::string Repeat(const std::string& unit, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += unit;
  return out;
}

TEST_CASE("EncodePageToken writes unpadded base64 of id:sortValue", "[domain][token]") {
  CHECK(EncodePageToken(Cursor{5, 5}) == "NTo1");
  CHECK(EncodePageToken(Cursor{12, 1714400000000}) == "MTI6MTcxNDQwMDAwMDAwMA");
  CHECK(EncodePageToken(Cursor{2147483647, 5}) == "MjE0NzQ4MzY0Nzo1");
  CHECK(EncodePageToken(Cursor{5, -3}) == "NTotMw");
}

TEST_CASE("DecodePageToken accepts well-formed tokens", "[domain][token]") {
  struct Case {
    const char* token;
    int64_t id;
    int64_t sort_value;
  };
  const std::vector<Case> cases = {
      {"NTo1", 5, 5},                                   // "5:5"
      {"MTI6MTcxNDQwMDAwMDAwMA==", 12, 1714400000000},  // "12:1714400000000"
      {"MjE0NzQ4MzY0Nzo1", 2147483647, 5},              // "2147483647:5", the int32 max id
      {"NTotMw==", 5, -3},                              // "5:-3"
      {"NTotMw", 5, -3},                                // "5:-3", unpadded
      {"MTI6MTcxNDQwMDAwMDAwMA", 12, 1714400000000},    // unpadded
  };
  for (const Case& c : cases) {
    INFO("token " << c.token);
    Result<Cursor> cursor = DecodePageToken(c.token);
    REQUIRE(cursor.ok());
    CHECK(cursor->id == c.id);
    CHECK(cursor->sort_value == c.sort_value);
  }
}

TEST_CASE("DecodePageToken round-trips EncodePageToken", "[domain][token]") {
  const std::vector<Cursor> cursors = {{1, 0}, {5, 5}, {42, 1714400000123}, {2147483647, -1}};
  for (const Cursor& in : cursors) {
    Result<Cursor> out = DecodePageToken(EncodePageToken(in));
    REQUIRE(out.ok());
    CHECK(out->id == in.id);
    CHECK(out->sort_value == in.sort_value);
  }
}

TEST_CASE("DecodePageToken rejects malformed tokens with kInvalidArgument", "[domain][token]") {
  struct Case {
    std::string token;
    const char* why;
  };
  const std::vector<Case> cases = {
      {"!!!!", "not base64 alphabet"},
      {"NTo", "\"5:\" once re-padded: empty sort value"},
      {"NTotM", "five characters cannot be re-padded to base64"},
      {"NT=1", "padding in the middle"},
      {"NTp4_-==", "URL-safe alphabet"},
      {"NTU=", "\"55\": no colon"},
      {"YTo1", "\"a:5\": non-numeric id"},
      {"NTp4", "\"5:x\": non-numeric sort value"},
      {"NTo=", "\"5:\": empty sort value"},
      {"OjU=", "\":5\": empty id"},
      {"NToxOjI=", "\"5:1:2\": split at the first colon leaves \"1:2\""},
      {"MDo1", "\"0:5\": id 0"},
      {"LTU6NQ==", "\"-5:5\": negative id"},
      {"MjE0NzQ4MzY0ODo1", "\"2147483648:5\": id above int32"},
      // "1:0" + "000"*256 is well-formed apart from its 1028 characters.
      {"MTow" + Repeat("MDAw", 256), "longer than 1024 characters"},
  };
  for (const Case& c : cases) {
    INFO(c.why << ": " << c.token.substr(0, 40));
    Result<Cursor> cursor = DecodePageToken(c.token);
    REQUIRE_FALSE(cursor.ok());
    CHECK(cursor.status().code() == StatusCode::kInvalidArgument);
    CHECK_THAT(cursor.status().message(), Catch::StartsWith("invalid nextPageToken"));
  }
}

TEST_CASE("DecodePageToken accepts a token of exactly 1024 characters", "[domain][token]") {
  // "1:0" followed by 765 zeros: base64 is 4 + 255*4 = 1024 characters.
  std::string token = "MTow" + Repeat("MDAw", 255);
  REQUIRE(token.size() == 1024);
  Result<Cursor> cursor = DecodePageToken(token);
  REQUIRE(cursor.ok());
  CHECK(cursor->id == 1);
  CHECK(cursor->sort_value == 0);
}

}  // namespace
}  // namespace mr
