// The one decimal form of a double that must read back as the same double: JSON responses
// (src/http/json_writer.cpp), metric samples (src/http/metrics.cpp), PostgreSQL parameters
// (src/postgres/session.h) and printed filter literals (src/filter/printer.cpp).
#pragma once

#include <string>

namespace mr {

// Appends the shortest decimal text that parses back (strtod, PostgreSQL's float8in, Go's
// ParseFloat, JSON parsers) to exactly `value`, in fixed or exponent notation, whichever is
// shorter: "0.1", "3", "1e+300", "1e+05", "-0"; "inf", "-inf" and "nan" for the others.
void AppendDoubleText(std::string& out, double value);

// The same as a new string.
std::string DoubleText(double value);

}  // namespace mr
