#include "controllers/history/history.hpp"

#include <charconv>
#include <cstdio>
#include <stdexcept>

namespace faultline {

const char* op_type_name(OpType type) {
  switch (type) {
    case OpType::invoke:
      return "invoke";
    case OpType::ok:
      return "ok";
    case OpType::fail:
      return "fail";
    case OpType::info:
      return "info";
  }
  return "?";
}

nlohmann::json to_json(const Operation& op) {
  nlohmann::json j{{"index", op.index}, {"time", op.time}, {"type", op_type_name(op.type)}};
  if (op.process == kNemesisProcess)
    j["process"] = "nemesis";
  else
    j["process"] = op.process;
  j["f"] = op.f;
  j["value"] = op.value;
  if (!op.error.empty()) j["error"] = op.error;
  if (!op.region.empty()) j["region"] = op.region;
  if (op.retry_of >= 0) j["retry_of"] = op.retry_of;
  if (!op.served_by.empty()) j["served_by"] = op.served_by;
  if (op.session >= 0) j["session"] = op.session;
  if (!op.version.empty()) j["version"] = op.version;
  if (!op.cell.empty()) j["cell"] = op.cell;
  return j;
}

Operation operation_from_json(const nlohmann::json& j) {
  Operation op;
  op.index = j.at("index").get<std::uint64_t>();
  op.time = j.at("time").get<std::int64_t>();
  const std::string type = j.at("type").get<std::string>();
  if (type == "invoke")
    op.type = OpType::invoke;
  else if (type == "ok")
    op.type = OpType::ok;
  else if (type == "fail")
    op.type = OpType::fail;
  else if (type == "info")
    op.type = OpType::info;
  else
    throw std::invalid_argument("unknown operation type '" + type + "'");
  const auto& process = j.at("process");
  op.process = process.is_string() ? kNemesisProcess : process.get<std::int64_t>();
  op.f = j.at("f").get<std::string>();
  op.value = j.value("value", nlohmann::json());
  op.error = j.value("error", "");
  op.region = j.value("region", "");
  op.served_by = j.value("served_by", "");
  op.session = j.value("session", std::int64_t{-1});
  op.version = j.value("version", "");
  op.retry_of = j.value("retry_of", std::int64_t{-1});
  op.cell = j.value("cell", "");
  return op;
}

void for_each_operation(const std::string& path, const std::function<void(const Operation&)>& visit) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    Operation op;
    try {
      op = operation_from_json(nlohmann::json::parse(line));
    } catch (const std::exception& e) {
      throw std::runtime_error(path + ":" + std::to_string(number) + ": " + e.what());
    }
    visit(op);
  }
}

std::vector<Operation> read_history(const std::string& path) {
  std::vector<Operation> ops;
  for_each_operation(path, [&](const Operation& op) { ops.push_back(op); });
  return ops;
}

HistoryRecorder::HistoryRecorder(const std::string& path, Clock::time_point start)
    : start_(start), path_(path), out_(path) {
  if (!out_) throw std::runtime_error("cannot write " + path);
}

std::int64_t HistoryRecorder::now_ns() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start_).count();
}

namespace {

// A JSON string as nlohmann's dump() writes it. Text with bytes past ASCII
// goes through the library, which also checks that it is UTF-8.
void append_string(std::string& out, const std::string& text) {
  for (unsigned char c : text)
    if (c >= 0x80) {
      out += nlohmann::json(text).dump();
      return;
    }
  out += '"';
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
          out += escaped;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

// `"key":`, after a comma unless it is the object's first field.
void append_key(std::string& out, const char* key) {
  if (out.back() != '{') out += ',';
  out += '"';
  out += key;
  out += "\":";
}

template <typename Integer>
void append_number(std::string& out, Integer n) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
  out.append(digits, end);
}

}  // namespace

void append_json_line(std::string& out, const Operation& op) {
  // The keys in nlohmann's order (sorted): the line is what to_json(op).dump() gives.
  out += '{';
  if (!op.cell.empty()) {
    append_key(out, "cell");
    append_string(out, op.cell);
  }
  if (!op.error.empty()) {
    append_key(out, "error");
    append_string(out, op.error);
  }
  append_key(out, "f");
  append_string(out, op.f);
  append_key(out, "index");
  append_number(out, op.index);
  append_key(out, "process");
  if (op.process == kNemesisProcess)
    out += "\"nemesis\"";
  else
    append_number(out, op.process);
  if (!op.region.empty()) {
    append_key(out, "region");
    append_string(out, op.region);
  }
  if (op.retry_of >= 0) {
    append_key(out, "retry_of");
    append_number(out, op.retry_of);
  }
  if (!op.served_by.empty()) {
    append_key(out, "served_by");
    append_string(out, op.served_by);
  }
  if (op.session >= 0) {
    append_key(out, "session");
    append_number(out, op.session);
  }
  append_key(out, "time");
  append_number(out, op.time);
  append_key(out, "type");
  out += '"';
  out += op_type_name(op.type);
  out += '"';
  append_key(out, "value");
  out += op.value.dump();
  if (!op.version.empty()) {
    append_key(out, "version");
    append_string(out, op.version);
  }
  out += '}';
}

Operation HistoryRecorder::record(Operation op) {
  std::lock_guard lock(mutex_);
  op.index = count_++;
  op.time = now_ns();
  line_.clear();
  append_json_line(line_, op);
  line_ += '\n';
  out_.write(line_.data(), static_cast<std::streamsize>(line_.size()));
  if (!out_) throw std::runtime_error("cannot write the history: " + path_);
  return op;
}

std::uint64_t HistoryRecorder::count() const {
  std::lock_guard lock(mutex_);
  return count_;
}

void HistoryRecorder::flush() {
  std::lock_guard lock(mutex_);
  out_.flush();
}

}  // namespace faultline
