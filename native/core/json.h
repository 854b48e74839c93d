// A small, strict JSON reader for file headers (safetensors) and a string escaper for writing them.
// Strict by design: it parses untrusted bytes, so it bounds depth and size and rejects anything odd.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace reckit::json {

struct Value {
  enum class Type { Null, Bool, Number, String, Array, Object } type = Type::Null;
  bool boolean = false;
  double number = 0;
  bool integral = false;   // the literal had no fraction/exponent
  unsigned long long integer = 0;  // valid when integral && number >= 0
  std::string string;
  std::vector<Value> array;
  std::vector<std::pair<std::string, Value>> object;  // keeps file order; duplicate keys are rejected

  const Value* find(const std::string& key) const;
};

// Parses exactly one JSON value spanning [text, text+size) (surrounding whitespace allowed).
// Throws reckit::Error(CorruptFile) with `what` and the byte offset on any error.
Value parse(const char* text, size_t size, const char* what);

// `s` as a JSON string literal (with quotes), escaping control characters, quotes and backslashes.
std::string quote(const std::string& s);

}  // namespace reckit::json
