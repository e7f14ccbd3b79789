// A minimal append-only JSON writer for response bodies. Encoding entities
// through nlohmann::json cost about a quarter of a GET's instructions (a
// std::map per object, then a second pass to serialise); this writes the bytes
// directly.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mr::http {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  void BeginObject() { Separate(), out_ += '{', first_ = true; }
  void EndObject() { out_ += '}', first_ = false; }
  void BeginArray() { Separate(), out_ += '[', first_ = true; }
  void EndArray() { out_ += ']', first_ = false; }
  // Writes "key": ; the value call that follows completes the member.
  void Key(std::string_view key);
  void String(std::string_view value);
  void Int(int64_t value);
  void Double(double value);  // REQUIRES: finite
  void Bool(bool value);
  void Raw(std::string_view json);  // a complete JSON value

 private:
  void Separate() {
    if (!first_) out_ += ',';
    first_ = false;
  }

  std::string& out_;
  bool first_ = true;
};

}  // namespace mr::http
