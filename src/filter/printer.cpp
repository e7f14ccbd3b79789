// Canonical printing of a filter AST. The output parses back to the same AST
// (fuzz/filter_fuzzer.cpp checks this), as long as it stays within
// kMaxQueryLength and kMaxDepth: a left-associative chain of n connectives
// prints n nested parentheses.
#include <string>
#include <vector>

#include "common/double_text.h"
#include "filter/number_format.h"
#include "model_registry/filter.h"

namespace mr::filter {
namespace internal {

std::string FormatDouble(double value) {
  std::string text = DoubleText(value);
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

}  // namespace internal

namespace {

bool IsPlainWord(std::string_view word) {
  if (word.empty()) return false;
  char first = word.front();
  if (!((first >= 'A' && first <= 'Z') || (first >= 'a' && first <= 'z') || first == '_')) {
    return false;
  }
  for (char c : word) {
    bool ident =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ident) return false;
  }
  return true;
}

bool IsSuffixWord(std::string_view word) {
  return word == "string_value" || word == "int_value" || word == "double_value" ||
         word == "bool_value";
}

// A dotted path of plain words reads back as the same name, unless its last
// segment would be taken for a type suffix; anything else needs backticks.
bool NeedsBackticks(std::string_view name) {
  size_t start = 0;
  bool multiple_segments = false;
  while (true) {
    size_t dot = name.find('.', start);
    std::string_view segment =
        name.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (!IsPlainWord(segment)) return true;
    if (dot == std::string_view::npos) return multiple_segments && IsSuffixWord(segment);
    multiple_segments = true;
    start = dot + 1;
  }
}

void AppendName(std::string_view name, std::string& out) {
  if (!NeedsBackticks(name)) {
    out += name;
    return;
  }
  out += '`';
  for (char c : name) {
    if (c == '`' || c == '\\') out += '\\';
    out += c;
  }
  out += '`';
}

const char* SuffixText(ValueSuffix suffix) {
  switch (suffix) {
    case ValueSuffix::kString:
      return "string_value";
    case ValueSuffix::kInt:
      return "int_value";
    case ValueSuffix::kDouble:
      return "double_value";
    case ValueSuffix::kBool:
      return "bool_value";
  }
  return "?";
}

const char* OperatorText(CompareOp op) {
  switch (op) {
    case CompareOp::kEq:
      return "=";
    case CompareOp::kNe:
      return "!=";
    case CompareOp::kLt:
      return "<";
    case CompareOp::kLe:
      return "<=";
    case CompareOp::kGt:
      return ">";
    case CompareOp::kGe:
      return ">=";
    case CompareOp::kLike:
      return "LIKE";
    case CompareOp::kILike:
      return "ILIKE";
    case CompareOp::kIn:
      return "IN";
  }
  return "?";
}

void AppendLiteral(const Literal& literal, std::string& out) {
  switch (literal.kind) {
    case Literal::Kind::kString:
      out += '"';
      for (char c : literal.string_value) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
      out += '"';
      return;
    case Literal::Kind::kInt:
      out += std::to_string(literal.int_value);
      return;
    case Literal::Kind::kFloat:
      out += internal::FormatDouble(literal.float_value);
      return;
    case Literal::Kind::kBool:
      out += literal.bool_value ? "true" : "false";
      return;
  }
}

void AppendComparison(const Comparison& comparison, std::string& out) {
  AppendName(comparison.property, out);
  if (comparison.suffix) {
    out += '.';
    out += SuffixText(*comparison.suffix);
  }
  out += ' ';
  out += OperatorText(comparison.op);
  out += ' ';
  if (!comparison.is_list) {
    // A non-list comparison always has exactly one value when it comes from
    // Parse; print defensively for hand-built trees.
    if (!comparison.values.empty()) AppendLiteral(comparison.values.front(), out);
    return;
  }
  out += '(';
  for (size_t i = 0; i < comparison.values.size(); ++i) {
    if (i > 0) out += ", ";
    AppendLiteral(comparison.values[i], out);
  }
  out += ')';
}

void AppendExpr(const Expr& expr, std::string& out);

// An operand of AND/OR: comparisons get parentheses, connectives bring their own.
void AppendOperand(const Expr& expr, std::string& out) {
  if (expr.kind == Expr::Kind::kCompare) {
    out += '(';
    AppendComparison(expr.comparison, out);
    out += ')';
  } else {
    AppendExpr(expr, out);
  }
}

// Walks the left spine iteratively: the parser builds chains left-deep, so only
// right operands (bounded by the parenthesis depth) recurse.
void AppendExpr(const Expr& expr, std::string& out) {
  if (expr.kind == Expr::Kind::kCompare) {
    AppendComparison(expr.comparison, out);
    return;
  }
  std::vector<const Expr*> spine;
  const Expr* node = &expr;
  while (node->kind != Expr::Kind::kCompare) {
    spine.push_back(node);
    node = node->left.get();
  }
  out.append(spine.size(), '(');
  AppendOperand(*node, out);
  for (auto it = spine.rbegin(); it != spine.rend(); ++it) {
    out += (*it)->kind == Expr::Kind::kAnd ? " AND " : " OR ";
    AppendOperand(*(*it)->right, out);
    out += ')';
  }
}

}  // namespace

std::string ToString(const Expr& expr) {
  std::string out;
  AppendExpr(expr, out);
  return out;
}

}  // namespace mr::filter
