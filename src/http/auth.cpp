#include "http/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <fstream>
#include <sstream>

namespace mr::http {
namespace {

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == '@';
    if (!ok) return false;
  }
  return true;
}

std::optional<Sha256> ParseDigest(std::string_view text) {
  constexpr std::string_view kPrefix = "sha256:";
  if (text.substr(0, kPrefix.size()) != kPrefix || text.size() != kPrefix.size() + 64) {
    return std::nullopt;
  }
  Sha256 digest{};
  for (size_t i = 0; i < 32; ++i) {
    int value = 0;
    for (size_t j = 0; j < 2; ++j) {
      char c = text[kPrefix.size() + 2 * i + j];
      int nibble = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (nibble < 0) return std::nullopt;
      value = value * 16 + nibble;
    }
    digest[i] = static_cast<uint8_t>(value);
  }
  return digest;
}

std::vector<std::string_view> Words(std::string_view line) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

}  // namespace

const char* RoleName(Role role) {
  switch (role) {
    case Role::kRead:
      return "read";
    case Role::kWrite:
      return "write";
    case Role::kAdmin:
      break;
  }
  return "admin";
}

std::optional<Role> RoleFromName(std::string_view name) {
  if (name == "read") return Role::kRead;
  if (name == "write") return Role::kWrite;
  if (name == "admin") return Role::kAdmin;
  return std::nullopt;
}

Sha256 Sha256Of(std::string_view data) {
  Sha256 digest{};
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(), nullptr);
  return digest;
}

std::string Hex(const Sha256& digest) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t byte : digest) {
    out += kDigits[byte >> 4];
    out += kDigits[byte & 15];
  }
  return out;
}

Result<TokenSet> TokenSet::Parse(std::string_view text) {
  TokenSet set;
  size_t line_number = 0;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++line_number;
    if (size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::vector<std::string_view> words = Words(line);
    if (words.empty()) continue;
    auto invalid = [&](const std::string& why) {
      return Status::InvalidArgument("tokens file line " + std::to_string(line_number) + ": " +
                                     why + " (expected: ROLE NAME sha256:HEX)");
    };
    if (words.size() != 3) return invalid("expected three fields");
    std::optional<Role> role = RoleFromName(words[0]);
    if (!role) return invalid("unknown role '" + std::string(words[0]) + "'");
    if (!ValidName(words[1])) return invalid("invalid name");
    std::optional<Sha256> digest = ParseDigest(words[2]);
    if (!digest) return invalid("the digest must be sha256: and 64 lower-case hex digits");
    if (set.HasName(words[1])) return invalid("duplicate name '" + std::string(words[1]) + "'");
    set.entries_.push_back({*role, std::string(words[1]), *digest});
  }
  return set;
}

bool TokenSet::HasName(std::string_view name) const {
  for (const Entry& e : entries_) {
    if (e.name == name) return true;
  }
  return false;
}

std::optional<Principal> TokenSet::Authenticate(std::string_view token) const {
  if (token.empty()) return std::nullopt;
  Sha256 digest = Sha256Of(token);
  const Entry* match = nullptr;
  // No early exit: every entry costs the same whether or not it matches.
  for (const Entry& e : entries_) {
    bool equal = CRYPTO_memcmp(e.digest.data(), digest.data(), digest.size()) == 0;
    if (equal) match = &e;
  }
  if (match == nullptr) return std::nullopt;
  return Principal{match->name, match->role};
}

Result<TokenSet> LoadTokenFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return Status::Unavailable("cannot read the tokens file " + path);
  std::stringstream text;
  text << file.rdbuf();
  Result<TokenSet> tokens = TokenSet::Parse(text.str());
  if (!tokens.ok()) return Status::InvalidArgument(path + ": " + tokens.status().message());
  return tokens;
}

Result<std::unique_ptr<TokenStore>> TokenStore::Open(std::string path) {
  std::unique_ptr<TokenStore> store(new TokenStore(std::move(path)));
  MR_RETURN_IF_ERROR(store->Reload());
  return store;
}

Status TokenStore::Reload() {
  MR_ASSIGN_OR_RETURN(TokenSet tokens, LoadTokenFile(path_));
  auto fresh = std::make_shared<const TokenSet>(std::move(tokens));
  std::lock_guard<std::mutex> lock(mu_);
  tokens_ = std::move(fresh);
  return Status::Ok();
}

std::optional<Principal> TokenStore::Authenticate(std::string_view token) const {
  std::shared_ptr<const TokenSet> tokens;
  {
    std::lock_guard<std::mutex> lock(mu_);
    tokens = tokens_;
  }
  return tokens->Authenticate(token);
}

size_t TokenStore::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return tokens_->size();
}

Result<NewToken> MakeToken(std::string_view name, Role role) {
  if (!ValidName(name)) {
    return Status::InvalidArgument("invalid token name '" + std::string(name) +
                                   "': use 1-128 letters, digits, '-', '_', '.' or '@'");
  }
  unsigned char random[32];
  if (RAND_bytes(random, sizeof random) != 1) {
    return Status::Internal("no random bytes for a new token");
  }
  Sha256 raw{};
  std::copy(std::begin(random), std::end(random), raw.begin());
  NewToken out;
  out.token = "mrt_" + Hex(raw);
  out.line =
      std::string(RoleName(role)) + " " + std::string(name) + " sha256:" + Hex(Sha256Of(out.token));
  return out;
}

}  // namespace mr::http
