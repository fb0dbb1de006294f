#pragma once
// The keys a part's table takes (an [[invariant]] kind's, a [[fault]] kind's),
// each described, typed and bounded: the reader obeys the same table that
// documentation and a JSON Schema are generated from, so the three cannot
// drift apart.
#include <string>
#include <string_view>
#include <vector>

namespace faultline {

enum class KeyType {
  string,
  integer,
  number,
  duration,
  table,
  strings,       // an array of strings: between = ["us-east-1", "eu-west-1"]
  string_lists,  // an array of arrays of strings: groups = [["a"], ["b", "c"]]
  boolean,       // true or false
  range,         // a low and a high bound: for = ["1s", "4s"], loss = [5, 30]
};
const char* key_type_name(KeyType type);

struct KeySpec {
  std::string name;
  KeyType type = KeyType::string;
  std::string description;           // one line
  std::string default_value;         // as TOML writes it; empty: none
  std::string minimum, maximum;      // as TOML writes them ("100ms", "0"); empty: unbounded
  std::vector<std::string> allowed;  // the only values a string takes; empty: any
  bool required = false;
  std::vector<KeySpec> fields;  // the keys of a table
};

// The key named `name` among `keys`, or null.
const KeySpec* find_key(const std::vector<KeySpec>& keys, std::string_view name);

}  // namespace faultline
