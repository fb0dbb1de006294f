#include "controllers/checkers/writes.hpp"

namespace faultline {

std::string customer_of(const std::string& key) {
  const auto slash = key.find('/');
  return slash == std::string::npos ? std::string() : key.substr(0, slash);
}

namespace {

std::string text_key(const CompactHistory& h, const CompactOp& op) {
  return std::to_string(op.key) + '\0' + h.value(op)[1].dump();
}

}  // namespace

WriteIndex::WriteIndex(const CompactHistory& history) : history_(history) {
  std::unordered_map<std::int64_t, std::size_t> open;  // process -> index in writes_
  for (const auto& op : history.ops()) {
    // A compare-and-set is a write of its new value when it succeeds, and
    // possibly one when its outcome is unknown; a failed one wrote nothing.
    if ((op.f != history.f_write && op.f != history.f_cas) || op.nemesis() || !op.is_kv()) continue;
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
    if (w.invoke->f == history.f_cas) {
      // [key, [expected, new]]: indexed by what it wrote.
      const nlohmann::json written = history.value(*w.invoke)[1];
      if (written.is_array() && written.size() == 2 && written[1].is_number_integer())
        by_number_[{w.invoke->key, written[1].get<std::int64_t>()}] = i;
      continue;
    }
    if (w.invoke->value_kind == ValueKind::integer)
      by_number_[{w.invoke->key, w.invoke->number}] = i;
    else if (w.invoke->value_kind == ValueKind::other)
      by_text_[text_key(history_, *w.invoke)] = i;
  }
}

const Write* WriteIndex::writer_of(const CompactOp& read) const {
  if (read.value_kind == ValueKind::integer) {
    auto it = by_number_.find({read.key, read.number});
    return it == by_number_.end() ? nullptr : &writes_[it->second];
  }
  if (read.value_kind == ValueKind::other) {
    auto it = by_text_.find(text_key(history_, read));
    return it == by_text_.end() ? nullptr : &writes_[it->second];
  }
  return nullptr;
}

}  // namespace faultline
