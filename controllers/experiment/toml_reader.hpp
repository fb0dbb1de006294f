#pragma once
// Reads typed values out of toml++ tables, collecting a diagnostic for each
// bad one instead of stopping at the first, so a user sees every problem of a
// file in one go. Section readers and invariant kinds read through it.
#include <toml++/toml.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "controllers/experiment/diagnostic.hpp"
#include "controllers/experiment/experiment.hpp"

namespace faultline {

using Keys = std::vector<std::string>;

SourcePosition position_of(const toml::source_region& source);

// Lowercase letters and digits (and '-' when allowed), starting with either;
// what ends up in namespace, interface and file names.
bool valid_name(const std::string& s, std::size_t max_len, bool allow_dash);

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  void error(SourcePosition at, std::string message);
  void error(const toml::node& node, std::string message);
  std::vector<Diagnostic>& diagnostics() { return diagnostics_; }

  // Every key of `table` not in `allowed` is an error; `where` names the
  // table in that message and in later "missing required key" ones.
  void check_keys(const toml::table& table, const std::string& where, const Keys& allowed);

  std::optional<std::string> string(const toml::table& t, const char* key, bool required = false);
  // A required string that must be one of `choices`; returns its index.
  std::optional<std::size_t> choice(const toml::table& t, const char* key, const Keys& choices,
                                    const std::string& what);
  std::optional<std::int64_t> integer(const toml::table& t, const char* key, std::int64_t lo,
                                      std::int64_t hi, bool required = false);
  std::optional<double> number(const toml::table& t, const char* key, double lo, double hi);
  std::optional<Duration> duration(const toml::table& t, const char* key, Duration lo, Duration hi,
                                   bool required = false);
  std::optional<bool> boolean(const toml::table& t, const char* key);
  std::optional<std::vector<std::string>> strings(const toml::table& t, const char* key,
                                                  bool required = false);
  // An array of tables ([[region]]) or nothing; anything else is an error.
  const toml::array* tables(const toml::table& root, const char* key);
  const toml::table* table(const toml::table& root, const char* key);

 private:
  void missing(const toml::table& t, const char* key);

  std::string file_;
  std::string context_ = "the table";  // the table being read, for messages
  std::vector<Diagnostic> diagnostics_;
};

}  // namespace faultline
