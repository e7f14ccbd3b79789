// File: http/auth.h
//
// Bearer-token authentication. A tokens file holds one line per token,
// `ROLE NAME sha256:HEX` (the SHA-256 of the token, so the file holds no
// secret; `#` starts a comment). ROLE is `read` (GET and HEAD only), `write`
// or `admin`. docs/OPERATIONS.md shows the set-up.
//
//   MR_ASSIGN_OR_RETURN(TokenSet tokens, LoadTokenFile("/etc/mr/tokens"));
//   std::optional<Principal> who = tokens.Authenticate(bearer_token);
//
// Thread-safety: TokenSet is immutable; TokenStore may be read and reloaded
// from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model_registry/registry_service.h"
#include "model_registry/status.h"

namespace mr::http {

enum class Role { kRead, kWrite, kAdmin };

// Returns "read", "write" or "admin".
const char* RoleName(Role role);
std::optional<Role> RoleFromName(std::string_view name);

struct Principal {
  std::string name;  // empty: anonymous (authentication off)
  Role role = Role::kAdmin;
};

using Sha256 = std::array<uint8_t, 32>;
Sha256 Sha256Of(std::string_view data);
std::string Hex(const Sha256& digest);

class TokenSet {
 public:
  struct Entry {
    Role role;
    std::string name;
    Sha256 digest;
  };

  // Parses the file's text. Errors: kInvalidArgument naming the line.
  static Result<TokenSet> Parse(std::string_view text);

  // The principal whose token is `token`, or nullopt. Every entry is compared
  // in constant time, so the answer's timing does not tell which entry or
  // how many bytes matched.
  std::optional<Principal> Authenticate(std::string_view token) const;

  size_t size() const { return entries_.size(); }
  bool HasName(std::string_view name) const;

 private:
  std::vector<Entry> entries_;
};

// Reads and parses a tokens file. Errors: kInvalidArgument (syntax),
// kUnavailable (cannot read the file).
Result<TokenSet> LoadTokenFile(const std::string& path);

// The tokens in force; Reload() swaps in the file's current contents and
// keeps the old set when the file is invalid.
class TokenStore {
 public:
  static Result<std::unique_ptr<TokenStore>> Open(std::string path);

  std::optional<Principal> Authenticate(std::string_view token) const;
  // Errors: as LoadTokenFile; the previous tokens stay in force.
  Status Reload();
  size_t size() const;

 private:
  explicit TokenStore(std::string path) : path_(std::move(path)) {}

  const std::string path_;
  mutable std::mutex mu_;
  std::shared_ptr<const TokenSet> tokens_;  // guarded by mu_
};

// A new random token for `name`, and the line that grants it `role`.
struct NewToken {
  std::string token;
  std::string line;  // "ROLE NAME sha256:HEX", no newline
};
Result<NewToken> MakeToken(std::string_view name, Role role);

}  // namespace mr::http
