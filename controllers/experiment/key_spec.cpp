#include "controllers/experiment/key_spec.hpp"

namespace faultline {

const char* key_type_name(KeyType type) {
  switch (type) {
    case KeyType::string:
      return "string";
    case KeyType::integer:
      return "integer";
    case KeyType::number:
      return "number";
    case KeyType::duration:
      return "duration";
    case KeyType::table:
      return "table";
    case KeyType::strings:
      return "array of strings";
    case KeyType::boolean:
      return "boolean";
    case KeyType::string_lists:
      return "array of arrays of strings";
    case KeyType::range:
      return "[low, high]";
  }
  return "?";
}

const KeySpec* find_key(const std::vector<KeySpec>& keys, std::string_view name) {
  for (const KeySpec& key : keys)
    if (key.name == name) return &key;
  return nullptr;
}

}  // namespace faultline
