#include "controllers/history/compact_history.hpp"

#include <fstream>
#include <stdexcept>

#include "controllers/history/operation_kinds.hpp"

namespace faultline {

std::uint32_t CompactHistory::intern(std::string_view name) {
  auto it = symbols_.find(name);
  if (it != symbols_.end()) return it->second;
  const auto id = static_cast<std::uint32_t>(names_.size());
  names_.emplace_back(name);
  symbols_.emplace(names_.back(), id);
  return id;
}

std::uint32_t CompactHistory::symbol(std::string_view name) const {
  auto it = symbols_.find(name);
  return it == symbols_.end() ? kNoSymbol : it->second;
}

const std::string& CompactHistory::name(std::uint32_t symbol) const {
  static const std::string none;
  return symbol < names_.size() ? names_[symbol] : none;
}

void CompactHistory::add(const Operation& op) {
  CompactOp c;
  c.time = op.time;
  c.process = op.process;
  c.type = op.type;
  c.session = static_cast<std::int32_t>(op.session);
  c.f = intern(op.f);
  if (!op.region.empty()) c.region = intern(op.region);
  if (!op.served_by.empty()) c.served_by = intern(op.served_by);
  const nlohmann::json& v = op.value;
  if (v.is_array() && v.size() == 2 && v[0].is_string() && op.process != kNemesisProcess) {
    c.key = intern(v[0].get_ref<const std::string&>());
    if (v[1].is_null()) {
      c.value_kind = ValueKind::null;
    } else if (v[1].is_number_integer()) {
      c.value_kind = ValueKind::integer;
      c.number = v[1].get<std::int64_t>();
    } else {
      c.value_kind = ValueKind::other;
      c.number = static_cast<std::int64_t>(others_.size());
      others_.push_back(v[1]);
    }
  } else if (!path_.empty() && op.f == kTxnF) {
    // A transaction's value (its micro-operations and every list read) is
    // the bulk of a list-append history: read from a file, it stays there
    // (the transactional checkers scan the file themselves; value() reads
    // the line back). A million of them as JSON take gigabytes.
    c.number = kValueInFile;
  } else if (!v.is_null()) {
    c.number = static_cast<std::int64_t>(others_.size());
    others_.push_back(v);
  } else {
    c.number = -1;
  }
  ops_.push_back(c);
}

void CompactHistory::resolve_well_known() {
  f_read = symbol(kReadF);
  f_write = symbol(kWriteF);
  f_final_read = symbol(kFinalReadF);
  f_heal = symbol(kHealF);
  f_register = symbol(kRegisterF);
  f_probe = symbol(kProbeF);
  f_cas = symbol(kCasF);
}

CompactHistory CompactHistory::from(const std::vector<Operation>& operations) {
  CompactHistory h;
  h.ops_.reserve(operations.size());
  for (const auto& op : operations) h.add(op);
  h.source_ = &operations;
  h.resolve_well_known();
  return h;
}

CompactHistory CompactHistory::read(const std::string& path, LineReader reader) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  CompactHistory h;
  h.path_ = path;
  std::string line;
  std::size_t number = 0;
  for (std::uint64_t offset = 0; std::getline(in, line); offset += line.size() + 1) {
    ++number;
    if (line.empty()) continue;
    try {
      if (reader == LineReader::scan && h.add_scanned(line)) {
        // taken apart by hand
      } else if (++h.lexed_by_nlohmann_; line.starts_with(kTxnLinePrefix)) {
        // The value stays in the file (see add): parsed, never built.
        const nlohmann::json::parser_callback_t drop_value =
            [](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
              return !(depth == 1 && event == nlohmann::json::parse_event_t::key && parsed == "value");
            };
        h.add(operation_from_json(nlohmann::json::parse(line, drop_value)));
      } else {
        h.add(operation_from_json(nlohmann::json::parse(line)));
      }
    } catch (const std::exception& e) {
      throw std::runtime_error(path + ":" + std::to_string(number) + ": " + e.what());
    }
    h.offsets_.push_back(offset);
  }
  h.resolve_well_known();
  return h;
}

const nlohmann::json& CompactHistory::other_value(const CompactOp& op) const {
  static const nlohmann::json kNull;
  if (op.value_kind != ValueKind::other || op.number < 0 ||
      static_cast<std::size_t>(op.number) >= others_.size())
    return kNull;
  return others_[static_cast<std::size_t>(op.number)];
}

nlohmann::json CompactHistory::value(const CompactOp& op) const {
  auto other = [&](std::int64_t i) {
    return i >= 0 && static_cast<std::size_t>(i) < others_.size() ? others_[static_cast<std::size_t>(i)]
                                                                  : nlohmann::json();
  };
  switch (op.value_kind) {
    case ValueKind::none:
      if (op.number == kValueInFile) return operation(index_of(op)).value;
      return other(op.number);
    case ValueKind::null:
      return nlohmann::json::array({name(op.key), nullptr});
    case ValueKind::integer:
      return nlohmann::json::array({name(op.key), op.number});
    case ValueKind::other:
      return nlohmann::json::array({name(op.key), other(op.number)});
  }
  return nullptr;
}

bool CompactHistory::same_value(const CompactOp& a, const CompactOp& b) const {
  if (a.value_kind != b.value_kind) return false;
  switch (a.value_kind) {
    case ValueKind::null:
      return true;
    case ValueKind::integer:
      return a.number == b.number;
    case ValueKind::other:
      return others_[static_cast<std::size_t>(a.number)] == others_[static_cast<std::size_t>(b.number)];
    case ValueKind::none:
      return false;
  }
  return false;
}

Operation CompactHistory::operation(std::size_t i) const {
  if (source_ != nullptr) return (*source_)[i];
  if (path_.empty()) {
    const CompactOp& c = ops_.at(i);
    Operation op{.index = i, .time = c.time, .type = c.type, .process = c.process, .f = name(c.f),
                 .value = value(c), .region = name(c.region), .served_by = name(c.served_by),
                 .session = c.session};
    return op;
  }
  std::ifstream in(path_);
  in.seekg(static_cast<std::streamoff>(offsets_.at(i)));
  std::string line;
  std::getline(in, line);
  return operation_from_json(nlohmann::json::parse(line));
}

}  // namespace faultline
