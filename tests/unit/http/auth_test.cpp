// Tokens files and bearer-token checks (src/http/auth.*).
#include "http/auth.h"

#include <catch2/catch.hpp>

namespace mr::http {
namespace {

const std::string kDigestOfSecret = "sha256:" + Hex(Sha256Of("secret"));

TEST_CASE("Sha256Of matches the published test vector", "[http][auth]") {
  CHECK(Hex(Sha256Of("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("A tokens file maps a token to its principal", "[http][auth]") {
  Result<TokenSet> tokens =
      TokenSet::Parse("# who may call\n\nwrite ci-bot " + kDigestOfSecret +
                      "  # trailing comment\r\nread dash sha256:" + Hex(Sha256Of("other")) + "\n");
  REQUIRE(tokens.ok());
  CHECK(tokens->size() == 2);
  std::optional<Principal> who = tokens->Authenticate("secret");
  REQUIRE(who.has_value());
  CHECK(who->name == "ci-bot");
  CHECK(who->role == Role::kWrite);
  CHECK(tokens->Authenticate("other")->role == Role::kRead);
  CHECK_FALSE(tokens->Authenticate("secre").has_value());
  CHECK_FALSE(tokens->Authenticate("").has_value());
  CHECK_FALSE(tokens->Authenticate(kDigestOfSecret).has_value());
}

TEST_CASE("Bad tokens-file lines are rejected with their line number", "[http][auth]") {
  struct Case {
    std::string text;
    const char* message_part;
  };
  const std::vector<Case> cases = {
      {"write ci-bot", "line 1: expected three fields"},
      {"\nroot x " + kDigestOfSecret, "line 2: unknown role 'root'"},
      {"read bad/name " + kDigestOfSecret, "invalid name"},
      {"read x sha1:abc", "the digest must be"},
      {"read x sha256:" + std::string(64, 'G'), "the digest must be"},
      {"read x " + kDigestOfSecret + "\nwrite x sha256:" + std::string(64, 'a'),
       "duplicate name 'x'"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    Result<TokenSet> tokens = TokenSet::Parse(c.text);
    REQUIRE_FALSE(tokens.ok());
    CHECK(tokens.status().code() == StatusCode::kInvalidArgument);
    CHECK_THAT(tokens.status().message(), Catch::Contains(c.message_part));
  }
}

TEST_CASE("MakeToken writes a line that authenticates its token", "[http][auth]") {
  Result<NewToken> made = MakeToken("deploy@ci", Role::kAdmin);
  REQUIRE(made.ok());
  CHECK(made->token.rfind("mrt_", 0) == 0);
  CHECK(made->line.find(made->token) == std::string::npos);
  Result<TokenSet> tokens = TokenSet::Parse(made->line);
  REQUIRE(tokens.ok());
  CHECK(tokens->Authenticate(made->token)->name == "deploy@ci");
  CHECK(MakeToken("deploy@ci", Role::kAdmin)->token != made->token);
  CHECK_FALSE(MakeToken("has space", Role::kRead).ok());
}

}  // namespace
}  // namespace mr::http
