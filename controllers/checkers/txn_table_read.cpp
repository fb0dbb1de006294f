// TxnTable::read: history.jsonl straight into the table, with a scanner that
// knows the recorder's lines and builds no JSON.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include "controllers/checkers/txn_table.hpp"
#include "controllers/history/operation_kinds.hpp"

namespace faultline {

namespace {

constexpr std::uint64_t kPowersOf10[9] = {1,      10,      100,      1000,     10000,
                                          100000, 1000000, 10000000, 100000000};

// How many of the eight bytes at p are ASCII digits, from the first: a byte
// is one iff its high nibble is 3 before and after adding 6. (A carry out of
// a byte only reaches later ones, past the first that is not a digit.)
int leading_digits(const char* p) {
  std::uint64_t w = 0;
  std::memcpy(&w, p, 8);
  constexpr std::uint64_t kHigh = 0xf0f0f0f0f0f0f0f0ULL, kThrees = 0x3030303030303030ULL;
  const std::uint64_t not_digit =
      ((w & kHigh) ^ kThrees) | (((w + 0x0606060606060606ULL) & kHigh) ^ kThrees);
  return not_digit == 0 ? 8 : __builtin_ctzll(not_digit) / 8;
}

// The value of the n (1-8) digits at p, in three multiplications (Lemire's
// parse_eight_digits_unrolled, the digits shifted to the end of the word).
std::uint64_t digits_value(const char* p, int n) {
  std::uint64_t w = 0;
  std::memcpy(&w, p, 8);
  // A byte after the digits that is below '0' borrows only from later bytes.
  w -= 0x3030303030303030ULL;
  w <<= 8 * (8 - n);
  w = w * 10 + (w >> 8);
  w = (((w & 0x000000ff000000ffULL) * (100 + (1000000ULL << 32))) +
       (((w >> 16) & 0x000000ff000000ffULL) * (1 + (10000ULL << 32)))) >>
      32;
  return w & 0xffffffffULL;
}

// A scanner of one JSON line that knows the shape of a history operation:
// it takes the fields a txn needs and skips every other value unparsed.
class LineScanner {
 public:
  // `spare` takes the escapes of strings read only to be passed over. The
  // line must be followed by eight readable bytes and *end must not be a
  // digit (the line's '\n'): integers are read eight digits at a time.
  LineScanner(const char* begin, const char* end, std::string& spare)
      : p_(begin), end_(end), spare_(spare) {}

  [[noreturn]] void fail(const char* what) const { throw std::runtime_error(what); }

  void ws() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\r' || *p_ == '\n')) ++p_;
  }
  bool peek(char c) {
    ws();
    return p_ < end_ && *p_ == c;
  }
  void expect(char c) {
    ws();
    if (p_ >= end_ || *p_ != c) fail("malformed JSON");
    ++p_;
  }
  bool take(char c) {
    if (!peek(c)) return false;
    ++p_;
    return true;
  }
  // A string's text; escapes are decoded into `buffer` (rare in a history),
  // and `escaped` says the text is there rather than in the line.
  std::string_view string(std::string& buffer, bool* escaped = nullptr) {
    expect('"');
    const char* start = p_;
    const char* p = start;
    while (p < end_ && *p != '"' && *p != '\\') ++p;
    p_ = p;
    if (p < end_ && *p == '"') {
      p_ = p + 1;
      return {start, static_cast<std::size_t>(p - start)};
    }
    return escaped_string(start, buffer, escaped);
  }

 private:
  [[gnu::noinline]] std::string_view escaped_string(const char* start, std::string& buffer,
                                                    bool* escaped) {
    if (escaped != nullptr) *escaped = true;
    buffer.assign(start, p_);
    while (p_ < end_ && *p_ != '"') {
      if (*p_ == '\\') {
        if (++p_ >= end_) break;
        switch (*p_) {
          case 'n':
            buffer += '\n';
            break;
          case 't':
            buffer += '\t';
            break;
          case 'r':
            buffer += '\r';
            break;
          case 'b':
            buffer += '\b';
            break;
          case 'f':
            buffer += '\f';
            break;
          case 'u': {
            // Keys are names we chose; a \u escape is kept as written.
            buffer += "\\u";
            break;
          }
          default:
            buffer += *p_;
        }
        ++p_;
      } else {
        buffer += *p_++;
      }
    }
    if (p_ >= end_) fail("unterminated string");
    ++p_;
    return buffer;
  }

 public:
  // The hot loops below keep the position in a local: p_ is a char pointer
  // that every store might alias, so the compiler would write it back per
  // character.
  bool integer(std::int64_t& out) {
    ws();
    const char* p = p_;
    const bool negative = p < end_ && *p == '-';
    if (negative) ++p;
    std::uint64_t v = 0;
    const char* digits = p;
    for (;;) {
      const int n = leading_digits(p);
      if (n == 0) break;
      v = v * kPowersOf10[n] + digits_value(p, n);  // wraps as digit by digit would
      p += n;
      if (n < 8) break;
    }
    if (p == digits || (p < end_ && (*p == '.' || *p == 'e' || *p == 'E'))) return false;
    p_ = p;
    out = static_cast<std::int64_t>(negative ? 0 - v : v);  // modular: INT64_MIN too
    return true;
  }
  // A list of integers after its '[' to its ']', appended to `out`; false
  // on an element that is not one.
  bool integers(std::vector<std::int64_t>& out) {
    if (take(']')) return true;
    for (;;) {
      std::int64_t e = 0;
      if (!integer(e)) return false;
      out.push_back(e);
      // The recorder's "1,2]" without a look for spaces.
      if (p_ < end_ && *p_ == ',') {
        ++p_;
        continue;
      }
      if (p_ < end_ && *p_ == ']') {
        ++p_;
        return true;
      }
      if (!take(',')) break;
    }
    expect(']');
    return true;
  }
  bool null() {
    ws();
    if (end_ - p_ >= 4 && std::memcmp(p_, "null", 4) == 0) {
      p_ += 4;
      return true;
    }
    return false;
  }
  void skip_value() {
    ws();
    if (p_ >= end_) fail("malformed JSON");
    if (*p_ == '"') {
      string(spare_);
      return;
    }
    if (*p_ == '[' || *p_ == '{') {
      const char close = *p_ == '[' ? ']' : '}';
      ++p_;
      if (take(close)) return;
      do {
        if (close == '}') {
          string(spare_);
          expect(':');
        }
        skip_value();
      } while (take(','));
      expect(close);
      return;
    }
    const char* start = p_;
    while (p_ < end_ && *p_ != ',' && *p_ != '}' && *p_ != ']' && *p_ != ' ') ++p_;
    if (p_ == start) fail("malformed JSON");
  }
  bool starts_with(std::string_view text) const {
    return static_cast<std::size_t>(end_ - p_) >= text.size() &&
           std::memcmp(p_, text.data(), text.size()) == 0;
  }
  const char* position() const { return p_; }
  void seek(const char* p) { p_ = p; }
  bool at_end() {
    ws();
    return p_ >= end_;
  }

 private:
  const char* p_;
  const char* end_;
  std::string& spare_;
};

// A txn value's keys that were escaped, decoded: the scratch's views of them
// are set once the value is read, when `text` no longer moves.
struct EscapedKeys {
  std::vector<std::string> text;
  std::vector<std::uint32_t> mop;  // of the scratch, text[i]'s
  std::size_t count = 0;
};

// Fills the table's scratch from a txn value; false if it is not one. Keys
// are views into the line (or into `escaped`).
bool scratch_from_scan(LineScanner& s, TxnTable& table, std::string& buffer, EscapedKeys& escaped) {
  table.scratch_mops.clear();
  table.scratch_elements.clear();
  escaped.count = 0;
  if (!s.take('[')) return false;
  if (s.take(']')) return true;
  do {
    s.expect('[');
    const std::string_view f = s.string(buffer);
    const bool append = f == kAppendMop;
    if (!append && f != kReadMop) return false;
    s.expect(',');
    bool was_escaped = false;
    TxnTable::MopInput in{.key = s.string(buffer, &was_escaped)};
    s.expect(',');
    if (was_escaped) {
      if (escaped.text.size() <= escaped.count) {
        escaped.text.emplace_back();
        escaped.mop.emplace_back();
      }
      escaped.text[escaped.count] = in.key;
      escaped.mop[escaped.count++] = static_cast<std::uint32_t>(table.scratch_mops.size());
    }
    if (append) {
      if (!s.integer(in.value)) return false;
    } else if (s.null()) {
      in.kind = MopKind::unread;
    } else {
      in.kind = MopKind::read;
      in.first = static_cast<std::uint32_t>(table.scratch_elements.size());
      s.expect('[');
      if (!s.integers(table.scratch_elements)) return false;
      in.count = static_cast<std::uint32_t>(table.scratch_elements.size()) - in.first;
    }
    s.expect(']');
    table.scratch_mops.push_back(in);
  } while (s.take(','));
  s.expect(']');
  for (std::size_t i = 0; i < escaped.count; ++i)
    table.scratch_mops[escaped.mop[i]].key = escaped.text[i];
  return true;
}

}  // namespace

TxnTable TxnTable::read(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot read " + path + ": " + std::strerror(errno));
  TxnTable table;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size > 0) table.reserve_for(static_cast<std::size_t>(st.st_size));
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  constexpr std::size_t kPad = 8;  // after the data: the scanner reads eight bytes at a time
  std::vector<char> buffer((std::size_t{4} << 20) + kPad);
  std::size_t filled = 0, line_number = 0;
  std::uint64_t index = 0;  // as CompactHistory numbers them: non-empty lines
  std::string text, field, spare;
  EscapedKeys keys;
  auto scan_line = [&](const char* begin, const char* end) {
    ++line_number;
    if (begin == end) return;
    const std::uint64_t i = index++;
    try {
      LineScanner s(begin, end, spare);
      s.expect('{');
      std::int64_t time = 0, process = 0;
      bool nemesis = false, is_txn = false;
      OpType type = OpType::invoke;
      const char* value = nullptr;
      bool parsed = false;
      // The recorder's own start of a txn, in one compare.
      static constexpr std::string_view kTxnStart = R"("f":"txn",)";
      static_assert(kTxnStart.substr(5, 3) == std::string_view(kTxnF));
      const bool recorder_start = s.starts_with(kTxnStart);
      if (recorder_start) {
        is_txn = true;
        s.seek(s.position() + kTxnStart.size());
      }
      if (recorder_start || !s.take('}')) {
        do {
          const std::string_view name = s.string(field);
          s.expect(':');
          if (name == "f") {
            is_txn = s.string(text) == kTxnF;
            if (!is_txn) return;  // the recorder writes f first: most lines end here
          } else if (name == "time") {
            if (!s.integer(time)) s.fail("'time' is not an integer");
          } else if (name == "process") {
            if (!s.integer(process)) {
              nemesis = true;
              s.skip_value();
            }
          } else if (name == "type") {
            const std::string_view t = s.string(text);
            if (t == "invoke")
              type = OpType::invoke;
            else if (t == "ok")
              type = OpType::ok;
            else if (t == "fail")
              type = OpType::fail;
            else if (t == "info")
              type = OpType::info;
            else
              s.fail("unknown 'type'");
          } else if (name == "value") {
            if (is_txn) {
              // f came first (the recorder's order): read it now, once.
              const char* start = s.position();
              parsed = scratch_from_scan(s, table, text, keys);
              if (!parsed) {
                // Not a txn's shape: judged as the compact history's reader would.
                s.seek(start);
                s.skip_value();
              }
            } else {
              value = s.position();
              s.skip_value();
            }
          } else {
            s.skip_value();
          }
        } while (s.take(','));
        s.expect('}');
      }
      if (!is_txn || nemesis) return;
      const char* after = s.position();
      if (value != nullptr) {
        s.seek(value);
        parsed = scratch_from_scan(s, table, text, keys);
        s.seek(after);
      }
      if (!parsed) {
        if (type != OpType::invoke) return;
        table.scratch_mops.clear();
      }
      if (type == OpType::invoke)
        table.invoke(process, i, time);
      else
        table.complete(process, i, time, type);
    } catch (const std::exception& e) {
      throw std::runtime_error(path + ":" + std::to_string(line_number) + ": " + e.what());
    }
  };
  for (;;) {
    if (filled + kPad == buffer.size())
      buffer.resize((buffer.size() - kPad) * 2 + kPad);  // a line longer than the buffer
    const ssize_t got = ::read(fd, buffer.data() + filled, buffer.size() - kPad - filled);
    if (got < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      throw std::runtime_error("cannot read " + path + ": " + std::strerror(err));
    }
    const bool eof = got == 0;
    filled += static_cast<std::size_t>(got);
    buffer[filled] = '\n';  // the end of a last line without one, for the scanner
    const char* start = buffer.data();
    const char* end = buffer.data() + filled;
    try {
      for (const char* nl; (nl = static_cast<const char*>(std::memchr(start, '\n', end - start)));
           start = nl + 1)
        scan_line(start, nl);
      if (eof && start < end) {
        scan_line(start, end);
        start = end;
      }
    } catch (...) {
      ::close(fd);
      throw;
    }
    filled = static_cast<std::size_t>(end - start);
    std::memmove(buffer.data(), start, filled);
    if (eof) break;
  }
  ::close(fd);
  table.finish();
  return table;
}

}  // namespace faultline
