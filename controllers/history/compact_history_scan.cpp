// CompactHistory::read's fast path: the recorder writes every line as one
// flat object (keys sorted, strings without escapes, integers, a value that
// is [key, integer or null] or a txn's micro-operations), and taking that
// apart by hand costs a fraction of nlohmann's lexing into a JSON tree that
// add() then reads a few fields of. The scanner accepts only what it is
// sure of, and only valid JSON; on anything else (an escape, a non-ASCII
// byte, a float, a key it does not know, a value of another shape) it adds
// nothing and read() gives the line to nlohmann, which decides, so both
// paths give the same history and the same errors.
#include <charconv>

#include "controllers/history/compact_history.hpp"
#include "controllers/history/operation_kinds.hpp"

namespace faultline {

namespace {

class Cursor {
 public:
  explicit Cursor(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}

  bool eat(char c) {
    ws();
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }
  bool at_end() {
    ws();
    return p_ == end_;
  }
  bool at(char c) {
    ws();
    return p_ != end_ && *p_ == c;
  }
  const char* position() const { return p_; }
  void rewind(const char* p) { p_ = p; }

  // A string of printable ASCII without escapes.
  bool string(std::string_view& out) {
    ws();
    if (p_ == end_ || *p_ != '"') return false;
    const char* start = ++p_;
    for (; p_ != end_; ++p_) {
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        out = std::string_view(start, static_cast<std::size_t>(p_ - start));
        ++p_;
        return true;
      }
      if (c < 0x20 || c == '\\' || c >= 0x80) return false;
    }
    return false;
  }

  // An integer in JSON's grammar (no leading zeros) that fits in 64 bits.
  bool integer(std::int64_t& out) {
    ws();
    const char* start = p_;
    const char* digits = p_ != end_ && *p_ == '-' ? p_ + 1 : p_;
    if (digits == end_ || !digit(*digits)) return false;
    if (*digits == '0' && digits + 1 != end_ && digit(digits[1])) return false;
    const auto [next, error] = std::from_chars(start, end_, out);
    if (error != std::errc()) return false;
    if (next != end_ && (*next == '.' || *next == 'e' || *next == 'E')) return false;
    p_ = next;
    return true;
  }

  bool literal(std::string_view word) {
    ws();
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::string_view(p_, word.size()) != word)
      return false;
    p_ += word.size();
    return true;
  }

  // Any JSON value (strings as above; numbers with a fraction or exponent
  // too), passed over. Iterative, with the open containers on a small
  // stack: a txn's value is most of its line, and lists of numbers most of
  // that.
  bool skip_value() {
    constexpr int kDeepest = 64;
    bool object[kDeepest];  // per open container: an object (else an array)
    int depth = 0;
    std::string_view ignored;
    for (;;) {
      // A value starts here.
      ws();
      if (p_ == end_) return false;
      const char c = *p_;
      if (c == '[' || c == '{') {
        if (depth == kDeepest) return false;
        object[depth++] = c == '{';
        ++p_;
        ws();
        if (p_ != end_ && *p_ == (c == '{' ? '}' : ']')) {
          ++p_;
          --depth;
        } else {
          if (c == '{' && (!string(ignored) || !eat(':'))) return false;
          continue;  // its first element
        }
      } else if (c == '"') {
        if (!string(ignored)) return false;
      } else if (c == 't' || c == 'f' || c == 'n') {
        if (!literal(c == 't' ? "true" : c == 'f' ? "false" : "null")) return false;
      } else if (!number()) {
        return false;
      }
      // After a value: close containers until one goes on.
      for (;;) {
        if (depth == 0) return true;
        ws();
        if (p_ == end_) return false;
        if (*p_ == ',') {
          ++p_;
          if (object[depth - 1] && (!string(ignored) || !eat(':'))) return false;
          break;
        }
        if (*p_ != (object[depth - 1] ? '}' : ']')) return false;
        ++p_;
        --depth;
      }
    }
  }

 private:
  static bool digit(char c) { return c >= '0' && c <= '9'; }
  void ws() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }
  bool digits() {
    if (p_ == end_ || !digit(*p_)) return false;
    while (p_ != end_ && digit(*p_)) ++p_;
    return true;
  }
  bool number() {
    if (p_ != end_ && *p_ == '-') ++p_;
    if (p_ == end_ || !digit(*p_)) return false;
    if (*p_ == '0') {
      ++p_;
    } else {
      digits();
    }
    if (p_ != end_ && *p_ == '.' && (++p_, !digits())) return false;
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (!digits()) return false;
    }
    return true;
  }

  const char* p_;
  const char* end_;
};

}  // namespace

bool CompactHistory::add_scanned(std::string_view line) {
  Cursor in(line);
  if (!in.eat('{') || in.at('}')) return false;
  CompactOp c;
  std::string_view f, type, region, served_by, key, ignored;
  std::int64_t index = 0, session = -1;
  enum class Value { absent, null, kv_null, kv_integer, in_file } value = Value::absent;
  enum Seen : unsigned {
    kF = 1,
    kIndex = 2,
    kTime = 4,
    kProcess = 8,
    kType = 16,
    kRegion = 32,
    kServedBy = 64,
    kSession = 128,
    kError = 256,
    kVersion = 512,
    kValue = 1024,
  };
  unsigned seen = 0;
  auto once = [&](unsigned bit) {  // a key twice: nlohmann's rules, not ours
    if (seen & bit) return false;
    seen |= bit;
    return true;
  };
  do {
    std::string_view name;
    if (!in.string(name) || !in.eat(':')) return false;
    bool ok = false;
    if (name == "f")
      ok = once(kF) && in.string(f);
    else if (name == "index")
      ok = once(kIndex) && in.integer(index);
    else if (name == "time")
      ok = once(kTime) && in.integer(c.time);
    else if (name == "process")
      ok = once(kProcess) && in.integer(c.process);
    else if (name == "type")
      ok = once(kType) && in.string(type);
    else if (name == "region")
      ok = once(kRegion) && in.string(region);
    else if (name == "served_by")
      ok = once(kServedBy) && in.string(served_by);
    else if (name == "session")
      ok = once(kSession) && in.integer(session);
    else if (name == "error")
      ok = once(kError) && in.string(ignored);
    else if (name == "version")
      ok = once(kVersion) && in.string(ignored);
    else if (name == "value" && once(kValue)) {
      if (line.starts_with(kTxnLinePrefix)) {
        // read() has nlohmann drop a txn's value (see add()): passed over.
        ok = in.skip_value();
        value = Value::in_file;
      } else if (in.literal("null")) {
        ok = true;
        value = Value::null;
      } else if (in.eat('[') && in.string(key) && in.eat(',')) {
        if (in.literal("null")) {
          value = Value::kv_null;
          ok = in.eat(']');
        } else {
          value = Value::kv_integer;
          ok = in.integer(c.number) && in.eat(']');
        }
      }
    }
    if (!ok) return false;
  } while (in.eat(','));
  if (!in.eat('}') || !in.at_end()) return false;
  if ((seen & (kF | kIndex | kTime | kProcess | kType)) != (kF | kIndex | kTime | kProcess | kType))
    return false;
  if (type == "invoke")
    c.type = OpType::invoke;
  else if (type == "ok")
    c.type = OpType::ok;
  else if (type == "fail")
    c.type = OpType::fail;
  else if (type == "info")
    c.type = OpType::info;
  else
    return false;
  const bool kv = value == Value::kv_null || value == Value::kv_integer;
  // An integer process that is the nemesis's number: add() keeps its
  // [key, value] whole, as JSON.
  if (kv && c.process == kNemesisProcess) return false;

  // As add() builds it from the Operation nlohmann would give.
  c.session = static_cast<std::int32_t>(session);
  c.f = intern(f);
  if (!region.empty()) c.region = intern(region);
  if (!served_by.empty()) c.served_by = intern(served_by);
  if (kv) {
    c.key = intern(key);
    c.value_kind = value == Value::kv_null ? ValueKind::null : ValueKind::integer;
    if (value == Value::kv_null) c.number = 0;
  } else if (f == kTxnF) {
    c.number = kValueInFile;
  } else {
    c.number = -1;  // no value, or null
  }
  ops_.push_back(c);
  return true;
}

}  // namespace faultline
