// Parser tests: each good input is compared with its canonical printed AST,
// written by hand from the grammar (docs/api-behaviour.md §6.3); each bad
// input must fail with kInvalidArgument and the documented message prefix.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "model_registry/filter.h"

namespace mr::filter {
namespace {

constexpr const char* kSyntaxPrefix = "invalid filter query syntax: error parsing filter query: ";

struct GoodCase {
  const char* query;
  const char* printed;
};

std::string Printed(std::string_view query) {
  auto result = Parse(query);
  if (!result.ok()) return "error: " + result.status().message();
  if (!result.value()) return "<null>";
  return ToString(*result.value());
}

TEST_CASE("Parse prints the canonical AST of valid queries", "[filter][parser]") {
  const std::vector<GoodCase> cases = {
      // Precedence and associativity: AND binds tighter, both associate left.
      {"a = 1", "a = 1"},
      {"a = 1 AND b = 2", "((a = 1) AND (b = 2))"},
      {"a = 1 OR b = 2 AND c = 3", "((a = 1) OR ((b = 2) AND (c = 3)))"},
      {"a = 1 AND b = 2 OR c = 3", "(((a = 1) AND (b = 2)) OR (c = 3))"},
      {"a = 1 OR b = 2 OR c = 3", "(((a = 1) OR (b = 2)) OR (c = 3))"},
      {"a = 1 AND b = 2 AND c = 3", "(((a = 1) AND (b = 2)) AND (c = 3))"},
      // Parentheses override precedence; redundant ones vanish.
      {"(a = 1 OR b = 2) AND c = 3", "(((a = 1) OR (b = 2)) AND (c = 3))"},
      {"a = 1 AND (b = 2 OR c = 3)", "((a = 1) AND ((b = 2) OR (c = 3)))"},
      {"((((a = 1))))", "a = 1"},
      {"(a=1)AND(b=2)", "((a = 1) AND (b = 2))"},
      // Every comparison operator; <> is not-equal and prints as !=.
      {"a = 1", "a = 1"},
      {"a != 1", "a != 1"},
      {"a <> 1", "a != 1"},
      {"a < 1", "a < 1"},
      {"a <= 1", "a <= 1"},
      {"a > 1", "a > 1"},
      {"a >= 1", "a >= 1"},
      {"a<=1", "a <= 1"},
      {"a>=-1", "a >= -1"},
      {"a<>-1", "a != -1"},
      {"name LIKE \"%tf%\"", "name LIKE \"%tf%\""},
      {"name ILIKE 'My_%'", "name ILIKE \"My_%\""},
      {"id IN (3, 5)", "id IN (3, 5)"},
      {"id IN (3)", "id IN (3)"},
      {"id IN ()", "id IN ()"},
      {"id IN ( )", "id IN ()"},
      {"id IN 3", "id IN 3"},
      {"x IN (1, 'a', true, 2.5)", "x IN (1, \"a\", true, 2.5)"},
      // Keywords in any case.
      {"a = 1 and b = 2 or c = 3", "(((a = 1) AND (b = 2)) OR (c = 3))"},
      {"a = 1 And b = 2 oR c = 3", "(((a = 1) AND (b = 2)) OR (c = 3))"},
      {"n like 'x' AND m iLiKe 'y' AND i in (1)",
       "(((n LIKE \"x\") AND (m ILIKE \"y\")) AND (i IN (1)))"},
      // Keywords are contextual, so they can name properties.
      {"and = 1 AND in IN (2) OR or = TRUE", "(((and = 1) AND (in IN (2))) OR (or = true))"},
      {"like LIKE 'x'", "like LIKE \"x\""},
      // Integers.
      {"a = 0", "a = 0"},
      {"a = 42", "a = 42"},
      {"a = -42", "a = -42"},
      {"a = +42", "a = 42"},
      {"a = 007", "a = 7"},
      {"a = 9223372036854775807", "a = 9223372036854775807"},
      {"a = -9223372036854775808", "a = -9223372036854775808"},
      // Floats print in their shortest form, always with '.' or an exponent.
      {"a = 3.14", "a = 3.14"},
      {"a = .5", "a = 0.5"},
      {"a = -.5", "a = -0.5"},
      {"a = 2.", "a = 2.0"},
      {"a = 1.0", "a = 1.0"},
      {"a = 1e-5", "a = 1e-05"},
      {"a = 1E5", "a = 1e+05"},
      {"a = 123456.0", "a = 123456.0"},
      {"a = -2.0E3", "a = -2000.0"},
      {"a = 2.5e+2", "a = 250.0"},
      {"a = 1e20", "a = 1e+20"},
      {"a = 0.1", "a = 0.1"},
      // Booleans in any case.
      {"a = true", "a = true"},
      {"a = TRUE", "a = true"},
      {"a = false", "a = false"},
      {"a = FALSE", "a = false"},
      {"a = True", "a = true"},
      // Strings: either quote, escapes for quotes and backslashes, other
      // backslash pairs kept verbatim, the other quote kind needs no escape.
      {"a = 'x'", "a = \"x\""},
      {"a = \"x\"", "a = \"x\""},
      {"a = ''", "a = \"\""},
      {"a = \"it's\"", "a = \"it's\""},
      {"a = 'a\"b'", "a = \"a\\\"b\""},
      {"a = 'it\\'s'", "a = \"it's\""},
      {"a = \"say \\\"hi\\\"\"", "a = \"say \\\"hi\\\"\""},
      {"a = 'back\\\\slash'", "a = \"back\\\\slash\""},
      {"a = 'tab\\t'", "a = \"tab\\\\t\""},
      {"a = '\"quoted\"'", "a = \"\\\"quoted\\\"\""},
      {"a = 'AND b = 1'", "a = \"AND b = 1\""},
      {"a = '-- not a comment'", "a = \"-- not a comment\""},
      {"a = 'line\nbreak'", "a = \"line\nbreak\""},
      {"a = 'caf\xc3\xa9'", "a = \"caf\xc3\xa9\""},
      // Backtick names: \. and \\ escapes, any characters, printed with
      // backticks only when needed.
      {"`mlflow.source.type` = \"notebook\"", "mlflow.source.type = \"notebook\""},
      {"`my-prop` = 1", "`my-prop` = 1"},
      {"`with space` = 1", "`with space` = 1"},
      {"`a\\.b` = 1", "a.b = 1"},
      {"`back\\\\slash` = 1", "`back\\\\slash` = 1"},
      {"`tick\\`` = 1", "`tick\\`` = 1"},
      {"`plain` = 1", "plain = 1"},
      // Dotted names and type suffixes.
      {"a.b = 1", "a.b = 1"},
      {"a . b = 1", "a.b = 1"},
      {"framework.string_value = \"pytorch\"", "framework.string_value = \"pytorch\""},
      {"n.int_value > 3", "n.int_value > 3"},
      {"n.double_value > 3", "n.double_value > 3"},
      {"n.bool_value = false", "n.bool_value = false"},
      {"a.b.string_value = 'x'", "a.b.string_value = \"x\""},
      {"`a.b`.int_value = 1", "a.b.int_value = 1"},
      {"`my-prop`.string_value = 'x'", "`my-prop`.string_value = \"x\""},
      // A lone suffix word, a backticked suffix word and a suffix word in the
      // middle are ordinary name segments.
      {"string_value = 1", "string_value = 1"},
      {"a.`string_value` = 1", "`a.string_value` = 1"},
      {"`a.string_value` = 1", "`a.string_value` = 1"},
      {"a.string_value.b = 1", "a.string_value.b = 1"},
      {"a.STRING_VALUE = 1", "a.STRING_VALUE = 1"},
      // Whitespace and comments.
      {"  a\t=\n1  ", "a = 1"},
      {"a = 1 -- trailing comment", "a = 1"},
      {"-- leading comment\na = 1", "a = 1"},
      {"a = 1 -- c1\nAND -- c2\nb = 2", "((a = 1) AND (b = 2))"},
      // Empty queries mean no filter.
      {"", "<null>"},
      {"   \t\n ", "<null>"},
      {"-- only a comment", "<null>"},
  };
  for (const GoodCase& c : cases) {
    INFO("query: " << c.query);
    CHECK(Printed(c.query) == c.printed);
  }
}

struct BadCase {
  std::string query;
  // A fragment the message after the prefix must contain.
  std::string detail;
};

TEST_CASE("Parse rejects malformed queries with kInvalidArgument", "[filter][parser]") {
  const std::vector<BadCase> cases = {
      {"a = 1)", "unexpected token \")\" at offset 5"},
      {"(a = 1", "unexpected end of query at offset 6"},
      {"a = 1 garbage", "unexpected token \"garbage\" at offset 6"},
      {"a = 1 b = 2", "unexpected token \"b\" at offset 6"},
      {"a = 1 AND", "unexpected end of query at offset 9"},
      {"a = 1 OR OR b = 2", "unexpected token \"b\" at offset 12"},
      {"AND a = 1", "unexpected token \"a\" at offset 4"},
      {"a =", "unexpected end of query at offset 3"},
      {"a", "unexpected end of query at offset 1"},
      {"= 1", "unexpected token \"=\" at offset 0"},
      {"a == 1", "unexpected token \"=\" at offset 3"},
      {"a = b", "unexpected token \"b\" at offset 4"},
      {"a = yes", "unexpected token \"yes\""},
      {"a NOT 1", "unexpected token \"NOT\" at offset 2"},
      {"a ! 1", "invalid character \"!\" at offset 2"},
      {"a = @", "invalid character \"@\" at offset 4"},
      {"a = \x01", "invalid character \"\\x01\" at offset 4"},
      {"()", "unexpected token \")\" at offset 1"},
      {"a IN (1,)", "unexpected token \")\" at offset 8"},
      {"a IN (1 2)", "unexpected token \"2\" at offset 8"},
      {"a IN (,)", "unexpected token \",\" at offset 6"},
      {"a IN ((1))", "unexpected token \"(\" at offset 6"},
      {"a = (1, 2)", "a list value needs the IN operator; found \"(\" at offset 4"},
      {"a.b. = 1", "unexpected token \"=\" at offset 5"},
      {".a = 1", "unexpected token \".\" at offset 0"},
      {"`` = 1", "empty identifier \"``\" at offset 0"},
      // Unterminated strings and names.
      {"a = 'abc", "unterminated string \"'abc\" at offset 4"},
      {"a = \"abc", "unterminated string \"\"abc\" at offset 4"},
      {"a = 'abc\\'", "unterminated string"},
      {"`abc = 1", "unterminated quoted identifier \"`abc = 1\" at offset 0"},
      // Malformed numbers.
      {"a = 1e", "invalid number \"1e\" at offset 4"},
      {"a = 1e+", "invalid number \"1e+\" at offset 4"},
      {"a = 1OR b = 2", "invalid number \"1OR\" at offset 4"},
      {"a = 1.2.3", "invalid number \"1.2.3\" at offset 4"},
      {"a = 12abc", "invalid number \"12abc\" at offset 4"},
      {"a = -", "invalid character \"-\" at offset 4"},
      {"a = 9223372036854775808", "integer out of range \"9223372036854775808\" at offset 4"},
      {"a = -9223372036854775809", "integer out of range"},
      {"a = 1e999", "number out of range \"1e999\" at offset 4"},
      // Limits.
      {std::string(kMaxDepth + 1, '(') + "a = 1" + std::string(kMaxDepth + 1, ')'),
       "nested deeper than 64 levels at offset 64"},
      {std::string(kMaxQueryLength + 1, ' '), "longer than 65536"},
      {"a = '" + std::string(kMaxQueryLength, 'x') + "'", "longer than 65536"},
  };
  for (const BadCase& c : cases) {
    INFO("query: " << c.query.substr(0, 200));
    auto result = Parse(c.query);
    REQUIRE_FALSE(result.ok());
    CHECK(result.status().code() == StatusCode::kInvalidArgument);
    const std::string& message = result.status().message();
    CHECK(message.rfind(kSyntaxPrefix, 0) == 0);
    CHECK_THAT(message, Catch::Contains(c.detail));
  }
}

TEST_CASE("Parse accepts nesting exactly at the depth limit", "[filter][parser]") {
  std::string query = std::string(kMaxDepth, '(') + "a = 1" + std::string(kMaxDepth, ')');
  CHECK(Printed(query) == "a = 1");
}

TEST_CASE("Parse cuts long offending tokens in error messages", "[filter][parser]") {
  std::string word(500, 'w');
  auto result = Parse("a = 1 " + word);
  REQUIRE_FALSE(result.ok());
  CHECK_THAT(result.status().message(),
             Catch::EndsWith("unexpected token \"" + std::string(40, 'w') + "...\" at offset 6"));
}

TEST_CASE("Parse accepts kMaxComparisons comparisons and rejects one more", "[filter][parser]") {
  std::string query = "a=1";
  for (int i = 1; i < kMaxComparisons; ++i) query += " AND a=1";
  auto result = Parse(query);
  REQUIRE(result.ok());
  REQUIRE(result.value() != nullptr);
  std::string printed = ToString(*result.value());
  CHECK(printed.rfind(std::string(kMaxComparisons - 1, '(') + "(a = 1) AND (a = 1)) AND (a = 1))",
                      0) == 0);
  CHECK_THAT(printed, Catch::EndsWith(" AND (a = 1))"));

  auto too_many = Parse(query + " AND a=1");
  REQUIRE_FALSE(too_many.ok());
  CHECK(too_many.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(too_many.status().message(),
             Catch::StartsWith("invalid filter query syntax: error parsing filter query: more than "
                               "256 comparisons at offset "));
}

TEST_CASE("Parse rejects a long AND chain at the length limit without deep recursion",
          "[filter][parser]") {
  // About 9000 comparisons: a recursive walker would overflow before the cap.
  std::string query = "a=1";
  while (query.size() + 8 <= kMaxQueryLength) query += " AND a=1";
  auto result = Parse(query);
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("Parse fills the AST fields", "[filter][parser]") {
  auto result = Parse("`x.y`.double_value IN (1, 'two', 3.5, false)");
  REQUIRE(result.ok());
  const Expr& expr = *result.value();
  REQUIRE(expr.kind == Expr::Kind::kCompare);
  const Comparison& c = expr.comparison;
  CHECK(c.property == "x.y");
  REQUIRE(c.suffix.has_value());
  CHECK(*c.suffix == ValueSuffix::kDouble);
  CHECK(c.op == CompareOp::kIn);
  CHECK(c.is_list);
  REQUIRE(c.values.size() == 4);
  CHECK(c.values[0].kind == Literal::Kind::kInt);
  CHECK(c.values[0].int_value == 1);
  CHECK(c.values[1].kind == Literal::Kind::kString);
  CHECK(c.values[1].string_value == "two");
  CHECK(c.values[2].kind == Literal::Kind::kFloat);
  CHECK(c.values[2].float_value == 3.5);
  CHECK(c.values[3].kind == Literal::Kind::kBool);
  CHECK(c.values[3].bool_value == false);

  auto single = Parse("a IN 7");
  REQUIRE(single.ok());
  CHECK_FALSE(single.value()->comparison.is_list);
  CHECK(single.value()->comparison.values.size() == 1);
}

}  // namespace
}  // namespace mr::filter
