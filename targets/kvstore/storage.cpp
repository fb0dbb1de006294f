#include "targets/kvstore/storage.hpp"

namespace faultline::kvstore {

const char* data_class_name(DataClass c) {
  switch (c) {
    case DataClass::global:
      return "global";
    case DataClass::customer:
      return "customer";
    case DataClass::ephemeral:
      return "ephemeral";
  }
  return "?";
}

std::optional<DataClass> parse_data_class(std::string_view name) {
  for (auto c : {DataClass::global, DataClass::customer, DataClass::ephemeral})
    if (name == data_class_name(c)) return c;
  return std::nullopt;
}

std::size_t MemoryStorage::merge(const std::vector<Record>& records) {
  std::lock_guard lock(mutex_);
  std::size_t kept = 0;
  for (const auto& r : records) {
    auto [it, inserted] = entries_.try_emplace({r.data_class, r.customer, r.key}, r.entry);
    if (inserted) {
      ++kept;
    } else if (it->second.version < r.entry.version) {
      it->second = r.entry;
      ++kept;
    }
  }
  return kept;
}

std::optional<Entry> MemoryStorage::get(DataClass c, const std::string& customer,
                                        const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find({c, customer, key});
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

std::vector<Record> MemoryStorage::scan(DataClass c) {
  std::lock_guard lock(mutex_);
  std::vector<Record> out;
  for (const auto& [k, entry] : entries_)
    if (std::get<0>(k) == c) out.push_back({c, std::get<1>(k), std::get<2>(k), entry});
  return out;
}

}  // namespace faultline::kvstore
