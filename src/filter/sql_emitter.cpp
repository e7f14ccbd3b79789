// SQL emission for a filter AST (docs/api-behaviour.md §6.4, §6.5).
//
// Shapes produced (every user value is a '?' parameter):
//   column:    (e.name = ?)   (e.id IN (?, ?))   (<dialect's pattern match>)
//   property:  EXISTS (SELECT 1 FROM <table> p WHERE p.owner_id = <owner>
//              AND p.name = ? AND p.is_custom = ? AND <condition>)
//              where <condition> is `p.<value_column> <op> ?`, or for an
//              inferred integer `(p.int_value <op> ? OR p.double_value <op> ?)`
//   IN ():     the dialect's never-true expression
//   AND/OR:    (<left> AND <right>)
//
// How a literal is bound depends on the type it is compared as:
//   string:              every literal as text (5 -> "5", true -> "true")
//   int, double, bool:   int -> int64, float -> double, bool -> int64 0/1,
//                        string -> its enum code when the ref maps enums,
//                        otherwise the text (the database converts
//                        numeric-looking text, or rejects it)
// LIKE and ILIKE patterns follow SQL: % and _ are wildcards and a backslash
// makes the next character literal (as in PostgreSQL, upstream's database).
#include <string>
#include <vector>

#include "filter/number_format.h"
#include "model_registry/filter.h"

namespace mr::filter {
namespace {

constexpr std::string_view kErrorPrefix = "invalid filter query: ";

// What the value is compared as, after resolution and inference.
struct Target {
  // kColumn: ref.column; kProperty: "p.<value column>".
  std::string expression;
  ValueType type = ValueType::kString;
  // Inferred integer against a property: also compare p.double_value.
  bool also_double = false;
};

const char* ValueColumn(ValueType type) {
  switch (type) {
    case ValueType::kString:
      return "p.string_value";
    case ValueType::kInt:
      return "p.int_value";
    case ValueType::kDouble:
      return "p.double_value";
    case ValueType::kBool:
      return "p.bool_value";
  }
  return "p.string_value";
}

const char* SqlOperator(CompareOp op) {
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
    case CompareOp::kILike:
    case CompareOp::kIn:
      break;  // rendered by EmitCondition
  }
  return "=";
}

std::string LiteralText(const Literal& literal) {
  switch (literal.kind) {
    case Literal::Kind::kString:
      return literal.string_value;
    case Literal::Kind::kInt:
      return std::to_string(literal.int_value);
    case Literal::Kind::kFloat:
      return internal::FormatDouble(literal.float_value);
    case Literal::Kind::kBool:
      return literal.bool_value ? "true" : "false";
  }
  return "";
}

SqlParam BindLiteral(const Literal& literal, ValueType type, const PropertyRef& ref) {
  if (literal.kind == Literal::Kind::kString && ref.enum_code) {
    return ref.enum_code(literal.string_value);
  }
  if (type == ValueType::kString) return LiteralText(literal);
  switch (literal.kind) {
    case Literal::Kind::kString:
      return literal.string_value;
    case Literal::Kind::kInt:
      return literal.int_value;
    case Literal::Kind::kFloat:
      return literal.float_value;
    case Literal::Kind::kBool:
      return int64_t{literal.bool_value ? 1 : 0};
  }
  return literal.string_value;
}

class Emitter {
 public:
  Emitter(const PropertyResolver& resolver, const SqlDialect& dialect,
          std::string_view owner_id_column, std::string_view property_table)
      : resolver_(resolver),
        dialect_(dialect),
        owner_id_column_(owner_id_column),
        property_table_(property_table) {}

  // Walks the left spine iteratively: the parser builds chains left-deep, so
  // only right operands (bounded by the parenthesis depth) recurse.
  Status Emit(const Expr& expr) {
    std::vector<const Expr*> spine;
    const Expr* node = &expr;
    while (node->kind != Expr::Kind::kCompare) {
      if (!node->left || !node->right) return Status::InvalidArgument("malformed filter tree");
      spine.push_back(node);
      node = node->left.get();
    }
    // A run of one connective is emitted flat, "(a OR b OR c)", with one
    // parenthesis per change of connective: SQLite's parser stack (about 100
    // levels) overflowed on "((((a OR b) OR c) OR d) ...".
    size_t runs = spine.empty() ? 0 : 1;
    for (size_t i = 1; i < spine.size(); ++i) runs += spine[i]->kind != spine[i - 1]->kind;
    out_.text.append(runs, '(');
    MR_RETURN_IF_ERROR(EmitComparison(node->comparison));
    for (auto it = spine.rbegin(); it != spine.rend(); ++it) {
      out_.text += (*it)->kind == Expr::Kind::kAnd ? " AND " : " OR ";
      MR_RETURN_IF_ERROR(Emit(*(*it)->right));
      auto above = std::next(it);
      if (above == spine.rend() || (*above)->kind != (*it)->kind) out_.text += ')';
    }
    return Status::Ok();
  }

  SqlFragment Take() && { return std::move(out_); }

  // EmitOwnerLookup for one comparison; false when it does not qualify.
  Result<bool> EmitOwnerLookup(const Comparison& comparison) {
    bool by_equality = comparison.op == CompareOp::kEq ||
                       (comparison.op == CompareOp::kIn && !comparison.values.empty());
    if (!by_equality) return false;
    MR_ASSIGN_OR_RETURN(PropertyRef ref, resolver_(comparison.property, comparison.suffix));
    if (ref.where != PropertyRef::Where::kProperty || ref.enum_code) return false;
    ValueType type = ref.infer_type ? InferType(comparison.values.front()) : ref.type;
    if (type != ValueType::kString) return false;
    out_.text += "SELECT p.owner_id FROM ";
    out_.text += property_table_;
    out_.text += " p WHERE p.name = ? AND p.is_custom = ? AND ";
    out_.params.emplace_back(ref.property_name);
    out_.params.emplace_back(int64_t{ref.is_custom ? 1 : 0});
    EmitCondition(comparison, ValueColumn(type), type, ref);
    return true;
  }

 private:
  Status EmitComparison(const Comparison& comparison) {
    MR_ASSIGN_OR_RETURN(PropertyRef ref, resolver_(comparison.property, comparison.suffix));
    if (comparison.values.empty()) {
      if (comparison.op != CompareOp::kIn) {
        return Status::InvalidArgument(std::string(kErrorPrefix) + "no value for \"" +
                                       comparison.property + "\"");
      }
      out_.text += dialect_.never_true;  // IN (): matches nothing
      return Status::Ok();
    }
    const Literal& first = comparison.values.front();

    Target target;
    if (ref.where == PropertyRef::Where::kColumn) {
      target.expression = ref.column;
      target.type = ref.type;
    } else {
      target.type = ref.infer_type ? InferType(first) : ref.type;
      target.also_double = ref.infer_type && first.kind == Literal::Kind::kInt;
      target.expression = ValueColumn(target.type);
    }

    bool is_like = comparison.op == CompareOp::kLike || comparison.op == CompareOp::kILike;
    if (is_like) {
      if (first.kind != Literal::Kind::kString || comparison.values.size() != 1) {
        return Status::InvalidArgument(std::string(kErrorPrefix) + "LIKE and ILIKE need a string " +
                                       "pattern for \"" + comparison.property + "\"");
      }
      if (target.type != ValueType::kString || ref.enum_code) {
        return Status::InvalidArgument(std::string(kErrorPrefix) + "LIKE and ILIKE apply only " +
                                       "to string values, not to \"" + comparison.property + "\"");
      }
    }

    if (ref.where == PropertyRef::Where::kProperty) {
      out_.text += "EXISTS (SELECT 1 FROM ";
      out_.text += property_table_;
      out_.text += " p WHERE p.owner_id = ";
      out_.text += owner_id_column_;
      out_.text += " AND p.name = ? AND p.is_custom = ? AND ";
      out_.params.emplace_back(ref.property_name);
      out_.params.emplace_back(int64_t{ref.is_custom ? 1 : 0});
      if (target.also_double) {
        out_.text += '(';
        EmitCondition(comparison, target.expression, target.type, ref);
        out_.text += " OR ";
        EmitCondition(comparison, ValueColumn(ValueType::kDouble), target.type, ref);
        out_.text += ')';
      } else {
        EmitCondition(comparison, target.expression, target.type, ref);
      }
      out_.text += dialect_.exists_suffix;
      out_.text += ')';
    } else {
      out_.text += '(';
      EmitCondition(comparison, target.expression, target.type, ref);
      out_.text += ')';
    }
    return Status::Ok();
  }

  static ValueType InferType(const Literal& literal) {
    switch (literal.kind) {
      case Literal::Kind::kString:
        return ValueType::kString;
      case Literal::Kind::kInt:
        return ValueType::kInt;
      case Literal::Kind::kFloat:
        return ValueType::kDouble;
      case Literal::Kind::kBool:
        return ValueType::kBool;
    }
    return ValueType::kString;
  }

  // `<expression> <op> ?` or `<expression> IN (?, ...)`, binding values as `type`.
  void EmitCondition(const Comparison& comparison, std::string_view expression, ValueType type,
                     const PropertyRef& ref) {
    const Literal& value = comparison.values.front();
    if (comparison.op == CompareOp::kLike || comparison.op == CompareOp::kILike) {
      dialect_.match_pattern(expression, value.string_value, comparison.op == CompareOp::kILike,
                             out_);
      return;
    }
    out_.text += expression;
    if (comparison.op == CompareOp::kIn && comparison.is_list) {
      out_.text += " IN (";
      for (size_t i = 0; i < comparison.values.size(); ++i) {
        if (i > 0) out_.text += ", ";
        out_.text += '?';
        out_.params.push_back(BindLiteral(comparison.values[i], type, ref));
      }
      out_.text += ')';
      return;
    }
    switch (comparison.op) {
      case CompareOp::kIn:  // a single value without parentheses acts like '='
        out_.text += " = ?";
        out_.params.push_back(BindLiteral(value, type, ref));
        return;
      default:
        out_.text += ' ';
        out_.text += SqlOperator(comparison.op);
        out_.text += " ?";
        out_.params.push_back(BindLiteral(value, type, ref));
        return;
    }
  }

  const PropertyResolver& resolver_;
  const SqlDialect& dialect_;
  std::string_view owner_id_column_;
  std::string_view property_table_;
  SqlFragment out_;
};

}  // namespace

std::string NormalizeLikePattern(std::string_view pattern) {
  std::string out(pattern);
  size_t trailing_backslashes = 0;
  for (auto it = out.rbegin(); it != out.rend() && *it == '\\'; ++it) ++trailing_backslashes;
  if (trailing_backslashes % 2 == 1) out += '\\';
  return out;
}

Result<std::optional<SqlFragment>> EmitOwnerLookup(const Expr& expr,
                                                   const PropertyResolver& resolver,
                                                   std::string_view property_table) {
  // The top-level conjuncts, in the order they were written.
  std::vector<const Expr*> pending{&expr};
  std::vector<const Comparison*> conjuncts;
  while (!pending.empty()) {
    const Expr* node = pending.back();
    pending.pop_back();
    if (node->kind == Expr::Kind::kCompare) {
      conjuncts.push_back(&node->comparison);
    } else if (node->kind == Expr::Kind::kAnd && node->left && node->right) {
      pending.push_back(node->right.get());
      pending.push_back(node->left.get());
    }
  }
  static const SqlDialect kUnused{nullptr, "", ""};  // LIKE never qualifies
  for (const Comparison* comparison : conjuncts) {
    Emitter emitter(resolver, kUnused, "", property_table);
    MR_ASSIGN_OR_RETURN(bool emitted, emitter.EmitOwnerLookup(*comparison));
    if (emitted) return std::optional<SqlFragment>(std::move(emitter).Take());
  }
  return std::optional<SqlFragment>();
}

Result<SqlFragment> EmitSql(const Expr& expr, const PropertyResolver& resolver,
                            const SqlDialect& dialect, std::string_view owner_id_column,
                            std::string_view property_table) {
  Emitter emitter(resolver, dialect, owner_id_column, property_table);
  MR_RETURN_IF_ERROR(emitter.Emit(expr));
  return std::move(emitter).Take();
}

}  // namespace mr::filter
