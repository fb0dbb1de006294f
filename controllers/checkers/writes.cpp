#include "controllers/checkers/writes.hpp"

#include <limits>
#include <unordered_map>

namespace faultline {

bool is_kv_value(const nlohmann::json& v) {
  return v.is_array() && v.size() == 2 && v[0].is_string();
}

std::string value_key(const std::string& key, const nlohmann::json& value) {
  std::string out;
  out.reserve(key.size() + 24);
  out += key;
  out += '\0';
  if (value.is_number_integer())
    out += std::to_string(value.get<std::int64_t>());
  else
    out += value.dump();
  return out;
}

std::int64_t session_of(const Operation& op) { return op.session >= 0 ? op.session : op.process; }

std::string customer_of(const std::string& key) {
  const auto slash = key.find('/');
  return slash == std::string::npos ? std::string() : key.substr(0, slash);
}

std::int64_t Write::completed_at() const {
  return acknowledged() ? completion->time : std::numeric_limits<std::int64_t>::max();
}

const std::string& Write::key() const { return invoke->value[0].get_ref<const std::string&>(); }

const nlohmann::json& Write::value() const { return invoke->value[1]; }

WriteIndex::WriteIndex(const std::vector<Operation>& history) {
  std::unordered_map<std::int64_t, std::size_t> open;  // process -> index in writes_
  for (const auto& op : history) {
    if (op.f != "write" || op.process == kNemesisProcess || !is_kv_value(op.value)) continue;
    if (op.type == OpType::invoke) {
      open[op.process] = writes_.size();
      writes_.push_back({&op, nullptr});
    } else if (auto it = open.find(op.process); it != open.end()) {
      writes_[it->second].completion = &op;
      open.erase(it);
    }
  }
  for (std::size_t i = 0; i < writes_.size(); ++i) {
    const Write& w = writes_[i];
    if (w.completion && w.completion->type == OpType::fail) continue;  // certainly not applied
    by_value_[make_key(w.key(), w.value())] = i;
  }
}

WriteIndex::ValueKey WriteIndex::make_key(const std::string& key, const nlohmann::json& value) {
  if (value.is_number_integer()) return {key, value.get<std::int64_t>(), {}};
  return {key, 0, value.dump()};
}

std::size_t WriteIndex::ValueKeyHash::operator()(const ValueKey& k) const {
  const std::size_t h = std::hash<std::string_view>()(k.key);
  return h ^ (std::hash<std::int64_t>()(k.number) * 0x9e3779b97f4a7c15ull) ^
         (k.text.empty() ? 0 : std::hash<std::string>()(k.text) << 1);
}

const Write* WriteIndex::writer_of(const std::string& key, const nlohmann::json& value) const {
  auto it = by_value_.find(make_key(key, value));
  return it == by_value_.end() ? nullptr : &writes_[it->second];
}

}  // namespace faultline
