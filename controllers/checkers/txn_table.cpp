#include "controllers/checkers/txn_table.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "controllers/history/operation_kinds.hpp"

namespace faultline {

namespace {

constexpr std::int64_t kEmptySlot = INT64_MIN;

std::size_t slot_hash(std::int64_t v, std::size_t mask) {
  auto x = static_cast<std::uint64_t>(v);
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;  // MurmurHash3's finalizer: unique values are often consecutive
  x ^= x >> 33;
  return static_cast<std::size_t>(x) & mask;
}

// Keys are short names: eight bytes at a time, then MurmurHash3's finalizer.
// `head` gets the first eight (zero-padded), which a key slot keeps.
[[gnu::always_inline]] inline std::uint64_t key_hash(std::string_view key, std::uint64_t& head) {
  head = 0;
  std::memcpy(&head, key.data(), std::min<std::size_t>(key.size(), 8));
  std::uint64_t h = ((key.size() * 0x9e3779b97f4a7c15ULL) ^ head) * 0xff51afd7ed558ccdULL;
  h ^= h >> 32;
  for (std::size_t at = 8; at < key.size(); at += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, key.data() + at, std::min<std::size_t>(key.size() - at, 8));
    h = (h ^ word) * 0xff51afd7ed558ccdULL;
    h ^= h >> 32;
  }
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

}  // namespace

void TxnTable::reserve_for(std::size_t bytes) {
  // A list-append line is some 370 bytes, for half a txn and two of its
  // micro-operations: sized so, the tables are not copied as they grow, and
  // what is not used is never touched.
  txns_.reserve(bytes / 640);
  mops_.reserve(bytes / 160);
  appended_.reserve(bytes / 320);
}

void TxnTable::insert_value(std::size_t s, std::uint32_t mop) {
  const std::int64_t value = mops_[mop].value;
  const std::size_t mask = slots_.size() - 1;
  while (slots_[s].value != kEmptySlot) {
    if (slots_[s].value == value) {
      duplicate_appends_.push_back(mop);
      return;
    }
    s = (s + 1) & mask;
  }
  slots_[s] = {.value = value, .mop = mop, .key = mops_[mop].key, .txn = mops_[mop].txn};
  ++slots_used_;
}

void TxnTable::finish() {
  std::vector<std::uint32_t> pending;
  for (const PendingSlot& slot : pending_)
    if (slot.used && slot.txn != kNoTxn) pending.push_back(slot.txn);
  std::sort(pending.begin(), pending.end());  // in history order, whatever the hashing
  for (std::uint32_t id : pending) index_appends(id);
  pending_ = {};
  processes_ = 0;
  // At most half full, as the table grown one insert at a time was.
  std::size_t size = 1024;
  while (size < appended_.size() * 2) size *= 2;
  slots_.assign(size, AppendSlot{});
  const std::size_t mask = size - 1, n = appended_.size();
  auto slot_of = [&](std::size_t i) { return slot_hash(mops_[appended_[i]].value, mask); };
  // Values hash all over a table far larger than the cache: fetching the
  // slot of an insert a few ahead hides most of each one's miss.
  constexpr std::size_t kAhead = 16;
  for (std::size_t i = 0; i < n; ++i) {
    if (i + kAhead < n) __builtin_prefetch(&slots_[slot_of(i + kAhead)], 1);
    insert_value(slot_of(i), appended_[i]);
  }
  appended_ = {};
}

const TxnTable::AppendSlot* TxnTable::find_append(std::int64_t value) const {
  if (slots_.empty() || value == kEmptySlot) return nullptr;
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t s = slot_hash(value, mask); slots_[s].value != kEmptySlot; s = (s + 1) & mask)
    if (slots_[s].value == value) return &slots_[s];
  return nullptr;
}

std::vector<std::int64_t> TxnTable::read_elements(const Mop& read) const {
  if (read.kind != MopKind::read) return {};
  if (read.incompatible != kNoTxn) return incompatible_[read.incompatible].elements;
  const auto& order = orders_[read.key].elements;
  return {order.begin(), order.begin() + read.length};
}

std::uint32_t TxnTable::intern_key(std::string_view key) {
  if ((key_names_.size() + 1) * 2 > key_slots_.size()) {
    std::vector<KeySlot> grown(std::max<std::size_t>(1024, key_slots_.size() * 2));
    const std::size_t mask = grown.size() - 1;
    for (const KeySlot& slot : key_slots_) {
      if (slot.id_plus_one == 0) continue;
      std::uint64_t head = 0;
      std::size_t s = key_hash(key_names_[slot.id_plus_one - 1], head) & mask;
      while (grown[s].id_plus_one != 0) s = (s + 1) & mask;
      grown[s] = slot;
    }
    key_slots_.swap(grown);
  }
  std::uint64_t head = 0;
  const std::size_t mask = key_slots_.size() - 1;
  std::size_t s = key_hash(key, head) & mask;
  for (; key_slots_[s].id_plus_one != 0; s = (s + 1) & mask) {
    const KeySlot& slot = key_slots_[s];
    if (slot.head == head && slot.size == key.size() &&
        (key.size() <= 8 || key_names_[slot.id_plus_one - 1] == key))
      return slot.id_plus_one - 1;
  }
  const auto id = static_cast<std::uint32_t>(key_names_.size());
  key_names_.emplace_back(key);
  orders_.emplace_back();
  key_slots_[s] = {.head = head, .id_plus_one = id + 1, .size = static_cast<std::uint32_t>(key.size())};
  return id;
}

std::uint32_t& TxnTable::pending_of(std::int64_t process) {
  if ((processes_ + 1) * 2 > pending_.size()) {
    std::vector<PendingSlot> grown(std::max<std::size_t>(64, pending_.size() * 2));
    const std::size_t mask = grown.size() - 1;
    for (const PendingSlot& slot : pending_) {
      if (!slot.used) continue;
      std::size_t s = slot_hash(slot.process, mask);
      while (grown[s].used) s = (s + 1) & mask;
      grown[s] = slot;
    }
    pending_.swap(grown);
  }
  const std::size_t mask = pending_.size() - 1;
  std::size_t s = slot_hash(process, mask);
  for (; pending_[s].used; s = (s + 1) & mask)
    if (pending_[s].process == process) return pending_[s].txn;
  ++processes_;
  pending_[s] = {.process = process, .txn = kNoTxn, .used = true};
  return pending_[s].txn;
}

void TxnTable::invoke(std::int64_t process, std::uint64_t index, std::int64_t time) {
  const auto id = static_cast<std::uint32_t>(txns_.size());
  Txn t{.invoke_time = time,
        .process = process,
        .invoke_index = index,
        .end_index = index,
        .first_mop = static_cast<std::uint32_t>(mops_.size()),
        .mop_count = static_cast<std::uint32_t>(scratch_mops.size())};
  for (const MopInput& in : scratch_mops)
    mops_.push_back({.value = in.kind == MopKind::append ? in.value : 0,
                     .txn = id,
                     .key = intern_key(in.key),
                     .kind = in.kind == MopKind::append ? MopKind::append : MopKind::unread});
  // A process has one operation in flight; an invocation over one that never
  // completed leaves the first pending (Jepsen's histories never do this).
  std::uint32_t& pending = pending_of(process);
  if (pending != kNoTxn) index_appends(pending);
  pending = id;
  txns_.push_back(t);
}

void TxnTable::complete(std::int64_t process, std::uint64_t index, std::int64_t time, OpType type) {
  std::uint32_t& pending = pending_of(process);
  if (pending == kNoTxn) return;  // a completion with no invocation: nothing to judge
  const std::uint32_t id = pending;
  pending = kNoTxn;
  Txn& t = txns_[id];
  t.end_index = index;
  t.outcome = type == OpType::ok     ? TxnOutcome::ok
              : type == OpType::fail ? TxnOutcome::fail
                                     : TxnOutcome::info;
  if (t.outcome != TxnOutcome::info) t.end_time = time;
  if (t.outcome == TxnOutcome::ok) {
    // The completion is what happened: its micro-operations replace the
    // invocation's (the same, with each read's result).
    const bool same_shape = scratch_mops.size() == t.mop_count;
    if (!same_shape) {
      t.first_mop = static_cast<std::uint32_t>(mops_.size());
      t.mop_count = static_cast<std::uint32_t>(scratch_mops.size());
      mops_.resize(mops_.size() + scratch_mops.size());
    }
    for (std::size_t i = 0; i < scratch_mops.size(); ++i) {
      const MopInput& in = scratch_mops[i];
      Mop& mop = mops_[t.first_mop + i];
      // Mostly the invocation's key, in its place: no lookup.
      const std::uint32_t key =
          same_shape && key_names_[mop.key] == in.key ? mop.key : intern_key(in.key);
      mop = {.value = in.kind == MopKind::append ? in.value : 0,
             .txn = id,
             .key = key,
             .kind = in.kind};
    }
    check_internal(id);
  }
  index_appends(id);
}

void TxnTable::take_read(std::uint32_t m, const std::int64_t* elements, std::uint32_t count) {
  Mop& mop = mops_[m];
  mop.length = count;
  mop.value = count > 0 ? elements[count - 1] : 0;
  KeyOrder& order = orders_[mop.key];
  const std::size_t known = order.elements.size();
  const std::size_t common = std::min<std::size_t>(count, known);
  for (std::size_t i = 0; i < common; ++i) {
    if (elements[i] == order.elements[i]) continue;
    mop.incompatible = static_cast<std::uint32_t>(incompatible_.size());
    incompatible_.push_back({.mop = m,
                             .order_reader = order.longest_reader,
                             .diverges_at = static_cast<std::uint32_t>(i),
                             .elements = {elements, elements + count}});
    return;
  }
  if (count > known) {
    order.elements.insert(order.elements.end(), elements + known, elements + count);
    order.longest_reader = mop.txn;
  }
}

void TxnTable::check_internal(std::uint32_t id) {
  const Txn& t = txns_[id];
  // What the txn has seen of each key it touched: the last list it read
  // (if any) and its own appends since.
  std::size_t used = 0;  // of seen_, whose vectors keep their capacity
  auto seen = [&](std::uint32_t key, bool create) -> Seen* {
    for (std::size_t i = 0; i < used; ++i)
      if (seen_[i].key == key) return &seen_[i];
    if (!create) return nullptr;
    if (used == seen_.size()) seen_.emplace_back();
    Seen& s = seen_[used++];
    s.key = key;
    s.read = false;
    s.base.clear();
    s.own.clear();
    return &s;
  };
  for (std::uint32_t i = 0; i < t.mop_count; ++i) {
    const std::uint32_t m = t.first_mop + i;
    const MopInput& in = scratch_mops[i];
    Mop& mop = mops_[m];
    if (mop.kind == MopKind::append) {
      seen(mop.key, true)->own.push_back(mop.value);
      continue;
    }
    if (mop.kind != MopKind::read) continue;
    const std::int64_t* elements = scratch_elements.data() + in.first;
    Seen* s = seen(mop.key, false);
    if (s == nullptr) {
      mop.external = true;
      s = seen(mop.key, true);
      s->read = true;
      s->base.assign(elements, elements + in.count);
    } else {
      std::vector<std::int64_t> expected = s->base;
      expected.insert(expected.end(), s->own.begin(), s->own.end());
      const bool consistent =
          s->read
              ? std::equal(expected.begin(), expected.end(), elements, elements + in.count)
              : in.count >= expected.size() && std::equal(expected.begin(), expected.end(),
                                                          elements + in.count - expected.size());
      if (!consistent)
        internal_.push_back({.mop = m,
                             .expected = std::move(expected),
                             .expected_is_suffix = !s->read,
                             .read = {elements, elements + in.count}});
      s->read = true;
      s->base.assign(elements, elements + in.count);
      s->own.clear();
    }
    take_read(m, elements, in.count);
  }
}

void TxnTable::index_appends(std::uint32_t id) {
  const Txn& t = txns_[id];
  for (std::uint32_t i = t.mop_count; i-- > 0;) {
    Mop& mop = mops_[t.first_mop + i];
    if (mop.kind != MopKind::append) continue;
    bool later = false;
    for (std::uint32_t j = i + 1; j < t.mop_count && !later; ++j) {
      const Mop& next = mops_[t.first_mop + j];
      later = next.kind == MopKind::append && next.key == mop.key;
    }
    mop.last_append = !later;
    appended_.push_back(t.first_mop + i);
  }
}

// --- From a CompactHistory ---------------------------------------------------

namespace {

// Fills the scratch from a txn value; false if it is not one.
bool scratch_from_json(const nlohmann::json& value, TxnTable& table) {
  table.scratch_mops.clear();
  table.scratch_elements.clear();
  if (!value.is_array()) return false;
  for (const auto& m : value) {
    if (!m.is_array() || m.size() != 3 || !m[0].is_string() || !m[1].is_string()) return false;
    const auto& f = m[0].get_ref<const std::string&>();
    TxnTable::MopInput in{.key = m[1].get_ref<const std::string&>()};
    if (f == kAppendMop) {
      if (!m[2].is_number_integer()) return false;
      in.value = m[2].get<std::int64_t>();
    } else if (f == kReadMop) {
      in.kind = m[2].is_array() ? MopKind::read : MopKind::unread;
      in.first = static_cast<std::uint32_t>(table.scratch_elements.size());
      if (m[2].is_array())
        for (const auto& e : m[2]) {
          if (!e.is_number_integer()) return false;
          table.scratch_elements.push_back(e.get<std::int64_t>());
        }
      in.count = static_cast<std::uint32_t>(table.scratch_elements.size()) - in.first;
    } else {
      return false;
    }
    table.scratch_mops.push_back(in);
  }
  return true;
}

}  // namespace

TxnTable TxnTable::from(const CompactHistory& history) {
  TxnTable table;
  const std::uint32_t f_txn = history.symbol(kTxnF);
  if (f_txn == kNoSymbol) return table;
  for (std::size_t i = 0; i < history.size(); ++i) {
    const CompactOp& op = history[i];
    if (op.f != f_txn || op.nemesis()) continue;
    // The value JSON references keys by string_view into it: keep it alive
    // while the scratch is read.
    const nlohmann::json value = history.value(op);
    if (!scratch_from_json(value, table)) {
      if (op.type != OpType::invoke) continue;
      table.scratch_mops.clear();
    }
    if (op.type == OpType::invoke)
      table.invoke(op.process, i, op.time);
    else
      table.complete(op.process, i, op.time, op.type);
  }
  table.finish();
  return table;
}

}  // namespace faultline
