// The shared round-trip form of doubles (src/common/double_text.*).
#include "common/double_text.h"

#include <catch2/catch.hpp>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>

namespace mr {
namespace {

double ReadBack(const std::string& text) { return std::strtod(text.c_str(), nullptr); }

TEST_CASE("Doubles print in their shortest exact form", "[common][double]") {
  CHECK(DoubleText(0.1) == "0.1");
  CHECK(DoubleText(1.5) == "1.5");
  CHECK(DoubleText(3.0) == "3");
  CHECK(DoubleText(-2.25) == "-2.25");
  CHECK(DoubleText(0.0) == "0");
  CHECK(DoubleText(-0.0) == "-0");
  CHECK(DoubleText(100.0) == "100");
  CHECK(DoubleText(123456.0) == "123456");
  CHECK(DoubleText(100000.0) == "1e+05");  // shorter than "100000"
  CHECK(DoubleText(1e300) == "1e+300");
  CHECK(DoubleText(1.0 / 3.0) == "0.3333333333333333");
  CHECK(DoubleText(1764499200.125) == "1764499200.125");
  CHECK(DoubleText(DBL_MAX) == "1.7976931348623157e+308");
  CHECK(DoubleText(-DBL_MIN) == "-2.2250738585072014e-308");
  CHECK(DoubleText(std::numeric_limits<double>::denorm_min()) == "5e-324");
}

TEST_CASE("AppendDoubleText appends the same text", "[common][double]") {
  std::string out = "x=";
  AppendDoubleText(out, 0.25);
  AppendDoubleText(out, -7.0);
  CHECK(out == "x=0.25-7");
}

TEST_CASE("Infinities and NaN have names that parsers accept", "[common][double]") {
  CHECK(DoubleText(std::numeric_limits<double>::infinity()) == "inf");
  CHECK(DoubleText(-std::numeric_limits<double>::infinity()) == "-inf");
  CHECK(DoubleText(std::numeric_limits<double>::quiet_NaN()) == "nan");
}

TEST_CASE("Every double reads back exactly", "[common][double]") {
  std::mt19937_64 bits(20261130);
  for (int i = 0; i < 100000; ++i) {
    // Random bit patterns cover every exponent; NaNs and infinities are checked above.
    uint64_t pattern = bits();
    double value;
    static_assert(sizeof value == sizeof pattern);
    std::memcpy(&value, &pattern, sizeof value);
    if (!std::isfinite(value)) continue;
    const std::string text = DoubleText(value);
    INFO(text);
    REQUIRE(ReadBack(text) == value);
    REQUIRE(std::signbit(ReadBack(text)) == std::signbit(value));
    REQUIRE(text.size() <= 24);
  }
}

}  // namespace
}  // namespace mr
