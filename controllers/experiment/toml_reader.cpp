#include "controllers/experiment/toml_reader.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

#include "controllers/experiment/units.hpp"

namespace faultline {

SourcePosition position_of(const toml::source_region& source) {
  return {static_cast<int>(source.begin.line), static_cast<int>(source.begin.column)};
}

bool valid_name(const std::string& s, std::size_t max_len, bool allow_dash) {
  if (s.empty() || s.size() > max_len) return false;
  if (!std::islower(static_cast<unsigned char>(s[0])) &&
      !std::isdigit(static_cast<unsigned char>(s[0])))
    return false;
  return std::all_of(s.begin(), s.end(), [&](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) || (allow_dash && c == '-');
  });
}

void Reader::error(SourcePosition at, std::string message) {
  diagnostics_.push_back({file_, at, std::move(message)});
}

void Reader::error(const toml::node& node, std::string message) {
  error(position_of(node.source()), std::move(message));
}

void Reader::check_keys(const toml::table& table, const std::string& where, const Keys& allowed) {
  context_ = where;
  for (auto&& [key, value] : table) {
    std::string k(key.str());
    if (std::find(allowed.begin(), allowed.end(), k) != allowed.end()) continue;
    std::string message = "unknown key '" + k + "' in " + where;
    if (auto guess = nearest(k, allowed)) message += "; did you mean '" + *guess + "'?";
    error(position_of(key.source()), message);
  }
}

std::optional<std::string> Reader::string(const toml::table& t, const char* key, bool required) {
  const toml::node* node = t.get(key);
  if (node == nullptr) {
    if (required) missing(t, key);
    return std::nullopt;
  }
  if (auto v = node->value<std::string>(); v && node->is_string()) return *v;
  error(*node, std::string("'") + key + "' must be a string");
  return std::nullopt;
}

std::optional<std::size_t> Reader::choice(const toml::table& t, const char* key,
                                          const Keys& choices, const std::string& what) {
  auto value = string(t, key, true);
  if (!value) return std::nullopt;
  auto it = std::find(choices.begin(), choices.end(), *value);
  if (it != choices.end()) return static_cast<std::size_t>(it - choices.begin());
  std::string msg = "unknown " + what + " '" + *value + "'";
  if (auto guess = nearest(*value, choices)) msg += "; did you mean '" + *guess + "'?";
  std::string all;
  for (const auto& c : choices) all += (all.empty() ? "" : ", ") + c;
  error(*t.get(key), msg + " (one of: " + all + ")");
  return std::nullopt;
}

std::optional<std::int64_t> Reader::integer(const toml::table& t, const char* key, std::int64_t lo,
                                            std::int64_t hi, bool required) {
  const toml::node* node = t.get(key);
  if (node == nullptr) {
    if (required) missing(t, key);
    return std::nullopt;
  }
  if (!node->is_integer()) {
    error(*node, std::string("'") + key + "' must be an integer");
    return std::nullopt;
  }
  auto v = *node->value<std::int64_t>();
  if (v < lo || v > hi) {
    error(*node, std::string("'") + key + "' must be between " + std::to_string(lo) + " and " +
                     std::to_string(hi) + ", not " + std::to_string(v));
    return std::nullopt;
  }
  return v;
}

std::optional<double> Reader::number(const toml::table& t, const char* key, double lo, double hi) {
  const toml::node* node = t.get(key);
  if (node == nullptr) return std::nullopt;
  if (!node->is_number()) {
    error(*node, std::string("'") + key + "' must be a number");
    return std::nullopt;
  }
  double v = *node->value<double>();
  if (!(v >= lo && v <= hi)) {
    std::ostringstream msg;
    msg << "'" << key << "' must be between " << lo << " and " << hi << ", not " << v;
    error(*node, msg.str());
    return std::nullopt;
  }
  return v;
}

std::optional<Duration> Reader::duration(const toml::table& t, const char* key, Duration lo,
                                         Duration hi, bool required) {
  const toml::node* node = t.get(key);
  if (node == nullptr) {
    if (required) missing(t, key);
    return std::nullopt;
  }
  auto text = node->value<std::string>();
  if (!node->is_string() || !text) {
    error(*node, std::string("'") + key + "' must be a duration string such as \"500ms\" or \"10s\"");
    return std::nullopt;
  }
  auto d = parse_duration(*text);
  if (!d) {
    error(*node, std::string("'") + key + "' = \"" + *text +
                     "\" is not a duration; write a number with ms, s, m or h, such as \"10s\"");
    return std::nullopt;
  }
  if (d->count() < 0) {
    error(*node, std::string("'") + key + "' must not be negative, got \"" + *text + "\"");
    return std::nullopt;
  }
  if (*d < lo || *d > hi) {
    error(*node, std::string("'") + key + "' must be between " + format_duration(lo) + " and " +
                     format_duration(hi) + ", got \"" + *text + "\"");
    return std::nullopt;
  }
  return d;
}

std::optional<bool> Reader::boolean(const toml::table& t, const char* key) {
  const toml::node* node = t.get(key);
  if (node == nullptr) return std::nullopt;
  if (!node->is_boolean()) {
    error(*node, std::string("'") + key + "' must be true or false");
    return std::nullopt;
  }
  return *node->value<bool>();
}

std::optional<std::vector<std::string>> Reader::strings(const toml::table& t, const char* key,
                                                        bool required) {
  const toml::node* node = t.get(key);
  if (node == nullptr) {
    if (required) missing(t, key);
    return std::nullopt;
  }
  const toml::array* array = node->as_array();
  std::vector<std::string> out;
  bool ok = array != nullptr;
  if (ok)
    for (const auto& item : *array) {
      if (!item.is_string()) {
        ok = false;
        break;
      }
      out.push_back(*item.value<std::string>());
    }
  if (!ok) {
    error(*node, std::string("'") + key + "' must be an array of strings");
    return std::nullopt;
  }
  return out;
}

const toml::array* Reader::tables(const toml::table& root, const char* key) {
  const toml::node* node = root.get(key);
  if (node == nullptr) return nullptr;
  const toml::array* array = node->as_array();
  if (array == nullptr || !array->is_array_of_tables()) {
    error(*node, std::string("'") + key + "' must be written as [[" + key + "]] tables");
    return nullptr;
  }
  return array;
}

const toml::table* Reader::table(const toml::table& root, const char* key) {
  const toml::node* node = root.get(key);
  if (node == nullptr) return nullptr;
  if (!node->is_table()) {
    error(*node, std::string("'") + key + "' must be a table, written [" + key + "]");
    return nullptr;
  }
  return node->as_table();
}

void Reader::missing(const toml::table& t, const char* key) {
  error(position_of(t.source()), std::string("missing required key '") + key + "' in " + context_);
}

}  // namespace faultline
