#include "common/double_text.h"

#include <charconv>

namespace mr {

void AppendDoubleText(std::string& out, double value) {
  char text[32];  // the longest shortest form, "-2.2250738585072014e-308", has 24
  auto result = std::to_chars(text, text + sizeof text, value);
  out.append(text, result.ptr);
}

std::string DoubleText(double value) {
  std::string text;
  AppendDoubleText(text, value);
  return text;
}

}  // namespace mr
