#include "controllers/report/edn.hpp"

#include <fstream>
#include <stdexcept>

#include "controllers/history/operation_kinds.hpp"

namespace faultline {

namespace {

// A keyword from a name: "final-read" -> :final-read; "served_by" -> :served-by.
std::string keyword(std::string name) {
  for (char& c : name)
    if (c == '_' || c == ' ' || c == '/' || c == ':') c = '-';
  return ":" + name;
}

std::string common_fields(const Operation& op) {
  std::string out = ":index " + std::to_string(op.index) + ", :time " + std::to_string(op.time) +
                    ", :type " + keyword(op_type_name(op.type)) + ", :process " +
                    (op.process == kNemesisProcess ? std::string(":nemesis")
                                                   : std::to_string(op.process));
  return out;
}

std::string extra_fields(const Operation& op) {
  std::string out;
  if (!op.error.empty()) out += ", :error " + edn_value(op.error);
  if (!op.region.empty()) out += ", :region " + edn_value(op.region);
  if (op.session >= 0) out += ", :session " + std::to_string(op.session);
  if (!op.served_by.empty()) out += ", :served-by " + edn_value(op.served_by);
  if (!op.version.empty()) out += ", :version " + edn_value(op.version);
  return out;
}

}  // namespace

std::string edn_value(const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::null:
      return "nil";
    case nlohmann::json::value_t::boolean:
      return v.get<bool>() ? "true" : "false";
    case nlohmann::json::value_t::string:
      return v.dump();  // JSON string escapes are valid EDN string escapes
    case nlohmann::json::value_t::array: {
      std::string out = "[";
      for (std::size_t i = 0; i < v.size(); ++i) out += (i ? " " : "") + edn_value(v[i]);
      return out + "]";
    }
    case nlohmann::json::value_t::object: {
      std::string out = "{";
      bool first = true;
      for (const auto& [k, item] : v.items()) {
        out += (first ? "" : ", ") + keyword(k) + " " + edn_value(item);
        first = false;
      }
      return out + "}";
    }
    default:
      return v.dump();  // numbers
  }
}

std::string to_edn(const Operation& op) {
  return "{" + common_fields(op) + ", :f " + keyword(op.f) + ", :value " + edn_value(op.value) +
         extra_fields(op) + "}";
}

std::string to_elle_edn(const Operation& op) {
  if (op.process == kNemesisProcess) return "";
  const bool read = is_key_read(op.f);
  if ((!read && op.f != kWriteF) || !op.value.is_array() || op.value.size() != 2) return "";
  // A read's invocation does not know its value yet: nil, as Elle expects.
  const nlohmann::json value =
      read && op.type == OpType::invoke ? nlohmann::json() : op.value[1];
  return "{" + common_fields(op) + ", :f :txn, :value [[" + (read ? ":r " : ":w ") +
         edn_value(op.value[0]) + " " + edn_value(value) + "]]" + extra_fields(op) + "}";
}

std::pair<std::size_t, std::size_t> write_edn(const std::vector<Operation>& history,
                                              const std::string& dir) {
  std::ofstream jepsen(dir + "/history.edn"), elle(dir + "/history-elle.edn");
  if (!jepsen || !elle) throw std::runtime_error("cannot write EDN histories into " + dir);
  std::size_t a = 0, b = 0;
  for (const auto& op : history) {
    jepsen << to_edn(op) << "\n";
    ++a;
    if (auto line = to_elle_edn(op); !line.empty()) {
      elle << line << "\n";
      ++b;
    }
  }
  return {a, b};
}

}  // namespace faultline
