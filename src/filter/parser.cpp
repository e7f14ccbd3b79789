// Lexer and recursive-descent parser for the filterQuery language
// (docs/api-behaviour.md §6.2, §6.3).
//
// Decisions upstream's grammar leaves open, made here:
// - Keywords are contextual: a word is AND/OR only where a connective may
//   follow, LIKE/ILIKE/IN only where an operator may follow, TRUE/FALSE only
//   where a value may follow (all case-insensitive). Anywhere else a word is an
//   identifier, so a property called `in` or `and` needs no backticks.
// - A string token is unquoted by removing its own delimiters and then reading
//   escapes in one pass: \" -> ", \' -> ', \\ -> \, any other backslash pair is
//   kept verbatim. Upstream strips *every* leading and trailing quote character,
//   which makes values that start or end with a quote unrepresentable; we keep
//   them (e.g. '"x"' is the three characters "x", with the quotes).
// - Backtick identifiers: \. -> ., \\ -> \, \` -> ` (a superset that lets any
//   name be written); other backslash pairs are kept verbatim. An empty name is
//   an error. A backticked segment may be followed by more dotted segments, so
//   `a.b`.string_value works.
// - Integers outside int64 and floats outside double's finite range are errors.
//   A number directly followed by a letter, digit or underscore ("1OR") is an
//   error.
// - A parenthesised list value is accepted only after IN.
// - Nesting counts parentheses around expressions; more than kMaxDepth levels
//   is an error. Long AND/OR chains are built iteratively and printed/emitted
//   with iteration along the left spine, so their length is bounded only by
//   kMaxQueryLength. The one recursive walk left is Expr's implicit destructor
//   along that spine: about 9,000 levels for a maximal query, measured to fit
//   in 256 KB of stack (512 KB under ASan), far below default thread stacks.
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "common/decimal.h"
#include "model_registry/filter.h"

namespace mr::filter {
namespace {

constexpr std::string_view kErrorPrefix =
    "invalid filter query syntax: error parsing filter query: ";
// Offending tokens are quoted in messages; long ones are cut to this size.
constexpr size_t kMaxTokenInMessage = 40;

enum class TokenType {
  kWord,         // [A-Za-z_][A-Za-z0-9_]*
  kQuotedIdent,  // `...`
  kString,       // '...' or "..."
  kNumber,       // [-+]?digits[.digits][e[-+]digits] or [-+]?.digits...
  kOperator,     // = != <> < <= > >=
  kLeftParen,
  kRightParen,
  kComma,
  kDot,
  kEnd,
};

struct Token {
  TokenType type = TokenType::kEnd;
  std::string_view raw;           // the token's bytes in the query
  size_t offset = 0;              // byte offset of the token in the query
  std::string decoded;            // kString, kQuotedIdent: the unescaped value
  CompareOp op = CompareOp::kEq;  // kOperator
  bool is_float = false;          // kNumber
};

bool IsIdentStart(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c); }
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool EqualsIgnoreCase(std::string_view a, std::string_view keyword) {
  if (a.size() != keyword.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != keyword[i]) return false;
  }
  return true;
}

// Renders token bytes for an error message: printable ASCII as is, anything
// else as \xNN, so the message is always valid UTF-8 (it ends up in JSON).
std::string Printable(std::string_view raw) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  bool truncated = raw.size() > kMaxTokenInMessage;
  if (truncated) raw = raw.substr(0, kMaxTokenInMessage);
  for (char c : raw) {
    auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f) {
      out += c;
    } else {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    }
  }
  if (truncated) out += "...";
  return out;
}

Status SyntaxError(std::string detail) {
  return Status::InvalidArgument(std::string(kErrorPrefix) + detail);
}

Status SyntaxErrorAt(std::string_view what, std::string_view raw, size_t offset) {
  return SyntaxError(std::string(what) + " \"" + Printable(raw) + "\" at offset " +
                     std::to_string(offset));
}

class Lexer {
 public:
  explicit Lexer(std::string_view query) : query_(query) {}

  Result<std::vector<Token>> Tokenize() {
    std::vector<Token> tokens;
    while (true) {
      SkipSpaceAndComments();
      if (pos_ >= query_.size()) break;
      Token token;
      MR_RETURN_IF_ERROR(Next(token));
      tokens.push_back(std::move(token));
    }
    Token end;
    end.type = TokenType::kEnd;
    end.offset = query_.size();
    tokens.push_back(std::move(end));
    return tokens;
  }

 private:
  char Peek(size_t ahead = 0) const {
    return pos_ + ahead < query_.size() ? query_[pos_ + ahead] : '\0';
  }
  bool AtEnd(size_t ahead = 0) const { return pos_ + ahead >= query_.size(); }

  void SkipSpaceAndComments() {
    while (!AtEnd()) {
      if (IsSpace(Peek())) {
        ++pos_;
      } else if (Peek() == '-' && Peek(1) == '-') {
        while (!AtEnd() && Peek() != '\n') ++pos_;
      } else {
        return;
      }
    }
  }

  Status Next(Token& token) {
    size_t start = pos_;
    token.offset = start;
    char c = Peek();
    auto finish = [&](TokenType type, size_t length) {
      token.type = type;
      pos_ = start + length;
      token.raw = query_.substr(start, length);
      return Status::Ok();
    };
    auto op = [&](CompareOp compare_op, size_t length) {
      token.op = compare_op;
      return finish(TokenType::kOperator, length);
    };
    switch (c) {
      case '(':
        return finish(TokenType::kLeftParen, 1);
      case ')':
        return finish(TokenType::kRightParen, 1);
      case ',':
        return finish(TokenType::kComma, 1);
      case '=':
        return op(CompareOp::kEq, 1);
      case '!':
        if (Peek(1) == '=') return op(CompareOp::kNe, 2);
        break;
      case '<':
        if (Peek(1) == '=') return op(CompareOp::kLe, 2);
        if (Peek(1) == '>') return op(CompareOp::kNe, 2);
        return op(CompareOp::kLt, 1);
      case '>':
        if (Peek(1) == '=') return op(CompareOp::kGe, 2);
        return op(CompareOp::kGt, 1);
      case '\'':
      case '"':
        return LexString(token);
      case '`':
        return LexQuotedIdent(token);
      case '.':
        if (IsDigit(Peek(1))) return LexNumber(token);
        return finish(TokenType::kDot, 1);
      default:
        break;
    }
    if (IsIdentStart(c)) {
      size_t end = pos_;
      while (end < query_.size() && IsIdentChar(query_[end])) ++end;
      return finish(TokenType::kWord, end - start);
    }
    bool signed_number =
        (c == '-' || c == '+') && (IsDigit(Peek(1)) || (Peek(1) == '.' && IsDigit(Peek(2))));
    if (IsDigit(c) || signed_number) {
      return LexNumber(token);
    }
    return SyntaxErrorAt("invalid character", query_.substr(start, 1), start);
  }

  Status LexString(Token& token) {
    size_t start = pos_;
    char quote = query_[start];
    std::string value;
    size_t i = start + 1;
    while (true) {
      if (i >= query_.size()) {
        return SyntaxErrorAt("unterminated string", query_.substr(start), start);
      }
      char c = query_[i];
      if (c == quote) break;
      if (c == '\\' && i + 1 < query_.size()) {
        char next = query_[i + 1];
        if (next == '"' || next == '\'' || next == '\\') {
          value += next;
        } else {
          value += c;
          value += next;
        }
        i += 2;
        continue;
      }
      value += c;
      ++i;
    }
    pos_ = i + 1;
    token.type = TokenType::kString;
    token.raw = query_.substr(start, pos_ - start);
    token.decoded = std::move(value);
    return Status::Ok();
  }

  Status LexQuotedIdent(Token& token) {
    size_t start = pos_;
    std::string name;
    size_t i = start + 1;
    while (true) {
      if (i >= query_.size()) {
        return SyntaxErrorAt("unterminated quoted identifier", query_.substr(start), start);
      }
      char c = query_[i];
      if (c == '`') break;
      if (c == '\\' && i + 1 < query_.size()) {
        char next = query_[i + 1];
        if (next == '.' || next == '\\' || next == '`') {
          name += next;
        } else {
          name += c;
          name += next;
        }
        i += 2;
        continue;
      }
      name += c;
      ++i;
    }
    pos_ = i + 1;
    token.type = TokenType::kQuotedIdent;
    token.raw = query_.substr(start, pos_ - start);
    if (name.empty()) return SyntaxErrorAt("empty identifier", token.raw, start);
    token.decoded = std::move(name);
    return Status::Ok();
  }

  Status LexNumber(Token& token) {
    size_t start = pos_;
    size_t i = start;
    auto digits = [&] {
      size_t first = i;
      while (i < query_.size() && IsDigit(query_[i])) ++i;
      return i - first;
    };
    if (query_[i] == '-' || query_[i] == '+') ++i;
    size_t mantissa_digits = digits();
    bool is_float = false;
    if (i < query_.size() && query_[i] == '.') {
      ++i;
      is_float = true;
      mantissa_digits += digits();
    }
    // The caller guarantees a digit, but keep the lexer honest on its own.
    if (mantissa_digits == 0) {
      return SyntaxErrorAt("invalid number", query_.substr(start, i - start + 1), start);
    }
    if (i < query_.size() && (query_[i] == 'e' || query_[i] == 'E')) {
      size_t exponent_start = i;
      ++i;
      if (i < query_.size() && (query_[i] == '-' || query_[i] == '+')) ++i;
      if (digits() == 0) {
        i = exponent_start;  // report "1e" or "1e+" below as a malformed number
        while (i < query_.size() &&
               (IsIdentChar(query_[i]) || query_[i] == '-' || query_[i] == '+')) {
          ++i;
        }
        return SyntaxErrorAt("invalid number", query_.substr(start, i - start), start);
      }
      is_float = true;
    }
    if (i < query_.size() && (IsIdentChar(query_[i]) || query_[i] == '.')) {
      size_t end = i;
      while (end < query_.size() && (IsIdentChar(query_[end]) || query_[end] == '.')) ++end;
      return SyntaxErrorAt("invalid number", query_.substr(start, end - start), start);
    }
    pos_ = i;
    token.type = TokenType::kNumber;
    token.raw = query_.substr(start, i - start);
    token.is_float = is_float;
    return Status::Ok();
  }

  std::string_view query_;
  size_t pos_ = 0;
};

bool IsSuffixWord(std::string_view word, ValueSuffix& suffix) {
  if (word == "string_value") {
    suffix = ValueSuffix::kString;
  } else if (word == "int_value") {
    suffix = ValueSuffix::kInt;
  } else if (word == "double_value") {
    suffix = ValueSuffix::kDouble;
  } else if (word == "bool_value") {
    suffix = ValueSuffix::kBool;
  } else {
    return false;
  }
  return true;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  Result<std::unique_ptr<Expr>> ParseQuery() {
    MR_ASSIGN_OR_RETURN(auto expr, ParseOr(0));
    if (Current().type != TokenType::kEnd) return Unexpected();
    return expr;
  }

 private:
  const Token& Current() const { return tokens_[index_]; }
  // The kEnd token is never consumed, so index_ stays in range.
  void Advance() {
    if (tokens_[index_].type != TokenType::kEnd) ++index_;
  }
  bool AtKeyword(std::string_view keyword) const {
    return Current().type == TokenType::kWord && EqualsIgnoreCase(Current().raw, keyword);
  }

  Status Unexpected() const {
    const Token& token = Current();
    if (token.type == TokenType::kEnd) {
      return SyntaxError("unexpected end of query at offset " + std::to_string(token.offset));
    }
    return SyntaxErrorAt("unexpected token", token.raw, token.offset);
  }

  static std::unique_ptr<Expr> Combine(Expr::Kind kind, std::unique_ptr<Expr> left,
                                       std::unique_ptr<Expr> right) {
    auto node = std::make_unique<Expr>();
    node->kind = kind;
    node->left = std::move(left);
    node->right = std::move(right);
    return node;
  }

  // orExpr := andExpr ( "OR" andExpr )*, left-associative.
  Result<std::unique_ptr<Expr>> ParseOr(int depth) {
    MR_ASSIGN_OR_RETURN(auto left, ParseAnd(depth));
    while (AtKeyword("OR")) {
      Advance();
      MR_ASSIGN_OR_RETURN(auto right, ParseAnd(depth));
      left = Combine(Expr::Kind::kOr, std::move(left), std::move(right));
    }
    return left;
  }

  // andExpr := term ( "AND" term )*, left-associative.
  Result<std::unique_ptr<Expr>> ParseAnd(int depth) {
    MR_ASSIGN_OR_RETURN(auto left, ParseTerm(depth));
    while (AtKeyword("AND")) {
      Advance();
      MR_ASSIGN_OR_RETURN(auto right, ParseTerm(depth));
      left = Combine(Expr::Kind::kAnd, std::move(left), std::move(right));
    }
    return left;
  }

  // term := "(" orExpr ")" | comparison
  Result<std::unique_ptr<Expr>> ParseTerm(int depth) {
    if (Current().type != TokenType::kLeftParen) return ParseComparison();
    if (depth >= kMaxDepth) {
      return SyntaxError("expression nested deeper than " + std::to_string(kMaxDepth) +
                         " levels at offset " + std::to_string(Current().offset));
    }
    Advance();
    MR_ASSIGN_OR_RETURN(auto inner, ParseOr(depth + 1));
    if (Current().type != TokenType::kRightParen) return Unexpected();
    Advance();
    return inner;
  }

  // comparison := property op value
  Result<std::unique_ptr<Expr>> ParseComparison() {
    if (++comparisons_ > kMaxComparisons) {
      return SyntaxError("more than " + std::to_string(kMaxComparisons) +
                         " comparisons at offset " + std::to_string(Current().offset));
    }
    auto node = std::make_unique<Expr>();
    node->kind = Expr::Kind::kCompare;
    Comparison& comparison = node->comparison;
    MR_RETURN_IF_ERROR(ParseProperty(comparison));
    MR_RETURN_IF_ERROR(ParseOperator(comparison));
    MR_RETURN_IF_ERROR(ParseValue(comparison));
    return node;
  }

  // property := segment ( "." segment )*, segment := IDENT | BACKTICK_IDENT.
  // A final unquoted segment naming a value column is the type suffix.
  Status ParseProperty(Comparison& comparison) {
    std::vector<std::string> segments;
    bool last_is_word = false;
    while (true) {
      const Token& token = Current();
      if (token.type == TokenType::kWord) {
        segments.emplace_back(token.raw);
        last_is_word = true;
      } else if (token.type == TokenType::kQuotedIdent) {
        segments.push_back(token.decoded);
        last_is_word = false;
      } else {
        return Unexpected();
      }
      Advance();
      if (Current().type != TokenType::kDot) break;
      Advance();
    }
    ValueSuffix suffix;
    if (segments.size() >= 2 && last_is_word && IsSuffixWord(segments.back(), suffix)) {
      comparison.suffix = suffix;
      segments.pop_back();
    }
    std::string name;
    for (size_t i = 0; i < segments.size(); ++i) {
      if (i > 0) name += '.';
      name += segments[i];
    }
    comparison.property = std::move(name);
    return Status::Ok();
  }

  Status ParseOperator(Comparison& comparison) {
    const Token& token = Current();
    if (token.type == TokenType::kOperator) {
      comparison.op = token.op;
    } else if (AtKeyword("LIKE")) {
      comparison.op = CompareOp::kLike;
    } else if (AtKeyword("ILIKE")) {
      comparison.op = CompareOp::kILike;
    } else if (AtKeyword("IN")) {
      comparison.op = CompareOp::kIn;
    } else {
      return Unexpected();
    }
    Advance();
    return Status::Ok();
  }

  // value := single | "(" [ single ( "," single )* ] ")"
  Status ParseValue(Comparison& comparison) {
    if (Current().type != TokenType::kLeftParen) {
      Literal literal;
      MR_RETURN_IF_ERROR(ParseSingle(literal));
      comparison.values.push_back(std::move(literal));
      return Status::Ok();
    }
    if (comparison.op != CompareOp::kIn) {
      return SyntaxErrorAt("a list value needs the IN operator; found", Current().raw,
                           Current().offset);
    }
    comparison.is_list = true;
    Advance();
    if (Current().type == TokenType::kRightParen) {
      Advance();
      return Status::Ok();
    }
    while (true) {
      Literal literal;
      MR_RETURN_IF_ERROR(ParseSingle(literal));
      comparison.values.push_back(std::move(literal));
      if (Current().type == TokenType::kRightParen) break;
      if (Current().type != TokenType::kComma) return Unexpected();
      Advance();
    }
    Advance();
    return Status::Ok();
  }

  // single := STRING | INT | FLOAT | BOOL
  Status ParseSingle(Literal& literal) {
    const Token& token = Current();
    switch (token.type) {
      case TokenType::kString:
        literal.kind = Literal::Kind::kString;
        literal.string_value = token.decoded;
        break;
      case TokenType::kNumber:
        MR_RETURN_IF_ERROR(ParseNumber(token, literal));
        break;
      case TokenType::kWord:
        if (EqualsIgnoreCase(token.raw, "TRUE")) {
          literal.kind = Literal::Kind::kBool;
          literal.bool_value = true;
        } else if (EqualsIgnoreCase(token.raw, "FALSE")) {
          literal.kind = Literal::Kind::kBool;
          literal.bool_value = false;
        } else {
          return Unexpected();
        }
        break;
      default:
        return Unexpected();
    }
    Advance();
    return Status::Ok();
  }

  static Status ParseNumber(const Token& token, Literal& literal) {
    std::string_view text = token.raw;
    // from_chars accepts a leading '-' but not '+'.
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    const char* first = text.data();
    const char* last = text.data() + text.size();
    if (token.is_float) {
      double value = 0;
      auto [end, error] = std::from_chars(first, last, value, std::chars_format::general);
      if (error != std::errc() || end != last) {
        return SyntaxErrorAt("number out of range", token.raw, token.offset);
      }
      literal.kind = Literal::Kind::kFloat;
      literal.float_value = value;
    } else {
      std::optional<int64_t> value = ParseDecimal(token.raw);
      if (!value) return SyntaxErrorAt("integer out of range", token.raw, token.offset);
      literal.kind = Literal::Kind::kInt;
      literal.int_value = *value;
    }
    return Status::Ok();
  }

  std::vector<Token> tokens_;
  size_t index_ = 0;
  int comparisons_ = 0;  // parsed so far, bounded by kMaxComparisons
};

}  // namespace

Result<std::unique_ptr<Expr>> Parse(std::string_view query) {
  if (query.size() > kMaxQueryLength) {
    return SyntaxError("query is " + std::to_string(query.size()) + " bytes, longer than " +
                       std::to_string(kMaxQueryLength));
  }
  MR_ASSIGN_OR_RETURN(auto tokens, Lexer(query).Tokenize());
  if (tokens.size() == 1) return std::unique_ptr<Expr>();  // only kEnd: no filter
  return Parser(std::move(tokens)).ParseQuery();
}

}  // namespace mr::filter
