#include "controllers/history/edn_history.hpp"

#include <cctype>
#include <cstdlib>

#include "controllers/history/operation_kinds.hpp"

namespace faultline {

namespace {

using nlohmann::json;

// A recursive-descent reader of the EDN that histories use: maps, vectors,
// lists, sets, keywords, strings, numbers, nil and booleans, symbols, tagged
// forms, comments and the discard #_.
class EdnReader {
 public:
  explicit EdnReader(std::string_view text) : text_(text) {}

  json all() {
    json forms = json::array();
    for (skip(); pos_ < text_.size(); skip()) {
      json form;
      if (read(form)) forms.push_back(std::move(form));
    }
    return forms;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    int line = 1, column = 1;
    for (std::size_t i = 0; i < pos_ && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    throw std::invalid_argument(std::to_string(line) + ":" + std::to_string(column) + ": " + what);
  }

  void skip() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (std::isspace(static_cast<unsigned char>(c)) || c == ',') {
        ++pos_;
      } else if (c == ';') {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      } else {
        break;
      }
    }
  }

  static bool delimiter(char c) {
    return std::isspace(static_cast<unsigned char>(c)) || c == ',' || c == '(' || c == ')' ||
           c == '[' || c == ']' || c == '{' || c == '}' || c == '"' || c == ';';
  }

  std::string token() {
    const std::size_t start = pos_;
    while (pos_ < text_.size() && !delimiter(text_[pos_])) ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }

  // Reads one form into `out`; false for a discarded one (#_).
  bool read(json& out) {
    skip();
    if (pos_ >= text_.size()) fail("unexpected end of input");
    const char c = text_[pos_];
    switch (c) {
      case '{': {
        ++pos_;
        json object = json::object();
        for (;;) {
          skip();
          if (pos_ >= text_.size()) fail("unclosed map");
          if (text_[pos_] == '}') {
            ++pos_;
            break;
          }
          json key, value;
          if (!read(key)) continue;
          skip();
          if (pos_ < text_.size() && text_[pos_] == '}') fail("a map with an odd number of forms");
          read(value);
          object[key.is_string() ? key.get<std::string>() : key.dump()] = std::move(value);
        }
        out = std::move(object);
        return true;
      }
      case '[':
      case '(':
        ++pos_;
        out = sequence(c == '[' ? ']' : ')');
        return true;
      case ']':
      case ')':
      case '}':
        fail(std::string("unexpected '") + c + "'");
      case '"':
        out = string();
        return true;
      case '#': {
        ++pos_;
        if (pos_ < text_.size() && text_[pos_] == '{') {
          ++pos_;
          out = sequence('}');
          return true;
        }
        if (pos_ < text_.size() && text_[pos_] == '_') {
          ++pos_;
          json dropped;
          read(dropped);
          return false;
        }
        token();  // a tag such as jepsen.history.Op: the form that follows is its value
        return read(out);
      }
      case '\\':
        ++pos_;
        out = token();
        return true;
      default:
        out = atom(token());
        return true;
    }
  }

  json sequence(char close) {
    json items = json::array();
    for (;;) {
      skip();
      if (pos_ >= text_.size()) fail(std::string("unclosed '") + (close == ']' ? '[' : close == ')' ? '(' : '{') + "'");
      if (text_[pos_] == close) {
        ++pos_;
        return items;
      }
      json item;
      if (read(item)) items.push_back(std::move(item));
    }
  }

  std::string string() {
    ++pos_;  // the opening quote
    std::string out;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      char c = text_[pos_++];
      if (c == '\\' && pos_ < text_.size()) {
        const char e = text_[pos_++];
        c = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
      }
      out += c;
    }
    if (pos_ >= text_.size()) fail("unclosed string");
    ++pos_;
    return out;
  }

  json atom(const std::string& t) {
    if (t.empty()) fail("unexpected character");
    if (t == "nil") return nullptr;
    if (t == "true") return true;
    if (t == "false") return false;
    if (t[0] == ':') return t.substr(1);
    const bool numeric = std::isdigit(static_cast<unsigned char>(t[0])) ||
                         ((t[0] == '-' || t[0] == '+') && t.size() > 1 &&
                          std::isdigit(static_cast<unsigned char>(t[1])));
    if (!numeric) return t;  // a symbol
    std::string n = t;
    if (n.back() == 'N' || n.back() == 'M') n.pop_back();  // bigint, bigdecimal
    char* end = nullptr;
    if (n.find_first_of(".eE") == std::string::npos) {
      const long long v = std::strtoll(n.c_str(), &end, 10);
      if (end != nullptr && *end == '\0') return v;
    }
    const double d = std::strtod(n.c_str(), &end);
    if (end != nullptr && *end == '\0') return d;
    if (n.find('/') != std::string::npos) return n;  // a ratio: kept as text
    fail("not a number: " + t);
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

std::string key_text(const json& k) { return k.is_string() ? k.get<std::string>() : k.dump(); }

bool is_pair(const json& v) { return v.is_array() && v.size() == 2; }

// [k v] with the key as text, or [default_key v].
json keyed(const json& value, bool independent, const char* default_key) {
  if (independent) return json::array({key_text(value[0]), value[1]});
  return json::array({default_key, value});
}

}  // namespace

json parse_edn(std::string_view text) { return EdnReader(text).all(); }

std::vector<Operation> operations_from_edn(std::string_view text) {
  json forms = parse_edn(text);
  // One vector of operation maps, or one map per form.
  if (forms.size() == 1 && forms[0].is_array()) forms = forms[0];
  // Whether the history is of one bare register or set ({:f :write :value
  // 3}, {:f :add :value 3}) rather than jepsen.independent tuples: its reads
  // are bare too, even a read of a two-element set.
  bool bare = false, sets = false;
  for (const auto& m : forms) {
    if (!m.is_object() || !m.contains("f") || !m.contains("value")) continue;
    const std::string f = key_text(m["f"]);
    if (f == kAddF) sets = true;
    if ((f == kWriteF || f == kAddF) && !is_pair(m["value"])) bare = true;
  }
  std::vector<Operation> ops;
  for (std::size_t i = 0; i < forms.size(); ++i) {
    const json& m = forms[i];
    auto where = [&] { return "operation " + std::to_string(i + 1); };
    if (!m.is_object()) throw std::invalid_argument(where() + " is not a map");
    Operation op;
    const std::string type = m.value("type", std::string());
    if (type == "invoke") op.type = OpType::invoke;
    else if (type == "ok") op.type = OpType::ok;
    else if (type == "fail") op.type = OpType::fail;
    else if (type == "info") op.type = OpType::info;
    else throw std::invalid_argument(where() + ": :type must be :invoke, :ok, :fail or :info");
    const json& process = m.contains("process") ? m["process"] : json();
    if (process.is_number_integer()) op.process = process.get<std::int64_t>();
    else if (process == "nemesis") op.process = kNemesisProcess;
    else throw std::invalid_argument(where() + ": :process must be an integer or :nemesis");
    op.f = m.contains("f") ? key_text(m["f"]) : "";
    op.index = m.contains("index") && m["index"].is_number_integer() ? m["index"].get<std::uint64_t>() : i;
    op.time = m.contains("time") && m["time"].is_number_integer() ? m["time"].get<std::int64_t>()
                                                                   : static_cast<std::int64_t>(i);
    if (m.contains("error")) op.error = m["error"].is_string() ? m["error"].get<std::string>() : m["error"].dump();
    if (m.contains("region") && m["region"].is_string()) op.region = m["region"];
    if (m.contains("session") && m["session"].is_number_integer()) op.session = m["session"];
    const json value = m.contains("value") ? m["value"] : json();
    if (op.process == kNemesisProcess) {
      op.value = value;
    } else if (op.f == kReadF || op.f == kWriteF) {
      // [k v]: an independent key, unless the history's writes or adds are
      // bare (one register, one set), whose reads are bare too.
      const bool independent = !bare && is_pair(value);
      op.value = keyed(value, independent, sets ? "set" : "register");
    } else if (op.f == kCasF) {
      const bool independent = is_pair(value) && (value[1].is_array() || value[1].is_null());
      op.value = keyed(value, independent, "register");
    } else if (op.f == kAddF) {
      op.value = keyed(value, !bare && is_pair(value), "set");
    } else if (op.f == kTxnF && value.is_array()) {
      json mops = json::array();
      for (const auto& mop : value) {
        if (!mop.is_array() || mop.size() != 3)
          throw std::invalid_argument(where() + ": a :txn micro-operation is not [f k v]");
        mops.push_back(json::array({key_text(mop[0]), key_text(mop[1]), mop[2]}));
      }
      op.value = std::move(mops);
    } else {
      op.value = value;
    }
    ops.push_back(std::move(op));
  }
  return ops;
}

}  // namespace faultline
