// File: src/filter/number_format.h
//
// Number spelling shared by the printer and the SQL emitter (internal to the
// filter layer).
#pragma once

#include <string>

namespace mr::filter::internal {

// The shortest decimal spelling of `value` that reads back as the same double,
// always containing a '.' or an exponent so that the filter lexer reads it as a
// float and not as an integer: 1.0 -> "1.0", 1e+20 -> "1e+20", 0.1 -> "0.1".
// REQUIRES: `value` is finite (the lexer never produces inf or NaN).
std::string FormatDouble(double value);

}  // namespace mr::filter::internal
