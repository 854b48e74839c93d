// Recursive-descent JSON parser with a depth limit; numbers keep an exact unsigned integer when integral.
#include "core/json.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <set>

#include "core/error.h"

namespace reckit::json {
namespace {

constexpr int kMaxDepth = 64;

class Parser {
 public:
  Parser(const char* text, size_t size, const char* what) : p_(text), begin_(text), end_(text + size), what_(what) {}

  Value document() {
    Value v = value(0);
    skip_space();
    if (p_ != end_) error("unexpected trailing characters");
    return v;
  }

 private:
  const char* p_;
  const char* begin_;
  const char* end_;
  const char* what_;

  [[noreturn]] void error(const std::string& message) {
    fail(ErrorCode::CorruptFile,
         std::string(what_) + ": invalid JSON at byte " + std::to_string(p_ - begin_) + ": " + message);
  }

  void skip_space() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }

  bool consume(char c) {
    skip_space();
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }

  void expect(char c) {
    if (!consume(c)) error(std::string("expected '") + c + "'");
  }

  void literal(const char* word) {
    const size_t n = std::strlen(word);
    if (static_cast<size_t>(end_ - p_) < n || std::memcmp(p_, word, n) != 0) error("unknown literal");
    p_ += n;
  }

  Value value(int depth) {
    if (depth > kMaxDepth) error("nesting too deep");
    skip_space();
    if (p_ >= end_) error("unexpected end");
    Value v;
    switch (*p_) {
      case '{': object(v, depth); break;
      case '[': array(v, depth); break;
      case '"': v.type = Value::Type::String; v.string = string(); break;
      case 't': literal("true"); v.type = Value::Type::Bool; v.boolean = true; break;
      case 'f': literal("false"); v.type = Value::Type::Bool; break;
      case 'n': literal("null"); break;
      default: number(v); break;
    }
    return v;
  }

  void object(Value& v, int depth) {
    v.type = Value::Type::Object;
    ++p_;
    if (consume('}')) return;
    std::set<std::string> seen;  // linear-time duplicate check: headers are untrusted input
    do {
      skip_space();
      if (p_ >= end_ || *p_ != '"') error("expected a key");
      std::string key = string();
      if (!seen.insert(key).second) error("duplicate key \"" + key + "\"");
      expect(':');
      v.object.emplace_back(std::move(key), value(depth + 1));
    } while (consume(','));
    expect('}');
  }

  void array(Value& v, int depth) {
    v.type = Value::Type::Array;
    ++p_;
    if (consume(']')) return;
    do {
      v.array.push_back(value(depth + 1));
    } while (consume(','));
    expect(']');
  }

  unsigned hex4() {
    if (end_ - p_ < 4) error("short \\u escape");
    unsigned code = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = *p_++;
      code <<= 4;
      if (c >= '0' && c <= '9') code |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') code |= static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') code |= static_cast<unsigned>(c - 'A' + 10);
      else error("bad \\u escape");
    }
    return code;
  }

  static void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::string string() {
    ++p_;  // opening quote
    std::string out;
    while (true) {
      if (p_ >= end_) error("unterminated string");
      const char c = *p_++;
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) error("control character in string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (p_ >= end_) error("unterminated escape");
      const char e = *p_++;
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned cp = hex4();
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') error("lone surrogate");
            p_ += 2;
            const unsigned low = hex4();
            if (low < 0xDC00 || low > 0xDFFF) error("bad surrogate pair");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            error("lone surrogate");
          }
          append_utf8(out, cp);
          break;
        }
        default: error("bad escape");
      }
    }
  }

  void number(Value& v) {
    const char* start = p_;
    if (p_ < end_ && *p_ == '-') ++p_;
    if (p_ >= end_ || *p_ < '0' || *p_ > '9') error("expected a value");
    if (*p_ == '0') {
      ++p_;
    } else {
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    bool integral = true;
    if (p_ < end_ && *p_ == '.') {
      integral = false;
      ++p_;
      if (p_ >= end_ || *p_ < '0' || *p_ > '9') error("bad fraction");
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      integral = false;
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ >= end_ || *p_ < '0' || *p_ > '9') error("bad exponent");
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    const std::string literal_text(start, p_);
    v.type = Value::Type::Number;
    v.number = std::strtod(literal_text.c_str(), nullptr);
    v.integral = integral && start[0] != '-';
    if (v.integral) {
      // Exact, overflow-checked unsigned parse (doubles lose precision above 2^53).
      unsigned long long n = 0;
      for (const char* d = start; d < p_; ++d) {
        const unsigned digit = static_cast<unsigned>(*d - '0');
        if (n > (~0ULL - digit) / 10) error("integer too large");
        n = n * 10 + digit;
      }
      v.integer = n;
    }
  }
};

}  // namespace

const Value* Value::find(const std::string& key) const {
  for (const auto& entry : object) {
    if (entry.first == key) return &entry.second;
  }
  return nullptr;
}

Value parse(const char* text, size_t size, const char* what) { return Parser(text, size, what).document(); }

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          static const char* hex = "0123456789abcdef";
          out += "\\u00";
          out += hex[(c >> 4) & 0xF];
          out += hex[c & 0xF];
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

}  // namespace reckit::json
