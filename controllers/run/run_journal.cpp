#include "controllers/run/run_journal.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <thread>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace faultline {

namespace fs = std::filesystem;

nlohmann::json JournalEntry::to_json() const {
  nlohmann::json fault_list = nlohmann::json::array();
  for (const auto& [index, f] : faults)
    fault_list.push_back({{"fault", index}, {"what", f.first}, {"state", f.second}});
  return {{"run_id", run_id},
          {"faults", fault_list},
          {"pid", pid},
          {"start_time", start_time},
          {"provider", provider},
          {"namespace_prefix", namespace_prefix},
          {"docker_socket", docker_socket},
          {"results", results},
          {"lock", lock},
          {"containers", containers}};
}

JournalEntry JournalEntry::from_json(const nlohmann::json& j) {
  JournalEntry e;
  e.run_id = j.value("run_id", "");
  e.pid = j.value("pid", 0);
  e.start_time = j.value("start_time", 0ULL);
  e.provider = j.value("provider", "");
  e.namespace_prefix = j.value("namespace_prefix", "");
  e.docker_socket = j.value("docker_socket", "");
  e.results = j.value("results", "");
  e.lock = j.value("lock", "");
  if (j.contains("containers") && j["containers"].is_object())
    for (const auto& [id, state] : j["containers"].items())
      if (state.is_string()) e.containers[id] = state.get<std::string>();
  if (j.contains("faults") && j["faults"].is_array())
    for (const auto& f : j["faults"])
      if (f.is_object())
        e.faults[f.value("fault", std::size_t{0})] = {f.value("what", ""), f.value("state", "")};
  return e;
}

std::optional<unsigned long long> process_start_time(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(in, text)) return std::nullopt;
  // The command may hold spaces and parentheses: fields resume after the last ')'.
  auto close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i)
    if (i == 22) return std::stoull(field);
  return std::nullopt;
}

namespace {

// The process's state letter (R, S, D, Z, X, ...), field 3 of /proc/PID/stat.
char process_state(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(in, text)) return 'X';
  auto close = text.rfind(')');
  return close != std::string::npos && close + 2 < text.size() ? text[close + 2] : 'X';
}

// Whether SIGKILL waits to be delivered: the process is about to exit.
bool sigkill_pending(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  const unsigned long long bit = 1ULL << (SIGKILL - 1);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("SigPnd:", 0) == 0 || line.rfind("ShdPnd:", 0) == 0)
      if (std::stoull(line.substr(7), nullptr, 16) & bit) return true;
  return false;
}

}  // namespace

bool run_alive(const JournalEntry& entry, std::chrono::milliseconds patience) {
  auto start = process_start_time(entry.pid);
  if (!start || *start != entry.start_time) return false;
  const char state = process_state(entry.pid);
  if (state == 'Z' || state == 'X') return false;  // exited, files closed
  if (entry.lock.empty()) return true;
  const int fd = ::open(entry.lock.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;  // the run removed it on its way out
  const auto deadline = std::chrono::steady_clock::now() + patience;
  bool alive = true;
  for (;;) {
    if (::flock(fd, LOCK_SH | LOCK_NB) == 0) {
      alive = false;  // nobody holds it: the run's files are closed
      break;
    }
    // Held. Only a process on its way out is worth waiting for.
    if (!sigkill_pending(entry.pid) || std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::close(fd);
  return alive;
}

RunJournal::RunJournal(std::string state_dir, JournalEntry entry) : entry_(std::move(entry)) {
  fs::create_directories(fs::path(state_dir) / "runs");
  path_ = (fs::path(state_dir) / "runs" / (entry_.run_id + ".json")).string();
  // Close-on-exec: a service the run starts must not inherit (and so hold)
  // the run's lock.
  entry_.lock = (fs::path(state_dir) / "runs" / (entry_.run_id + ".lock")).string();
  lock_fd_ = ::open(entry_.lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0 || ::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0)
    throw std::runtime_error("cannot hold the run's lock " + entry_.lock + ": " +
                             std::strerror(errno));
  entry_.pid = ::getpid();
  entry_.start_time = process_start_time(entry_.pid).value_or(0);
  write();
}

RunJournal::~RunJournal() {
  std::error_code ec;
  fs::remove(path_, ec);
  fs::remove(entry_.lock, ec);  // after the entry: an entry never outlives its lock's file
  ::close(lock_fd_);
  if (!entry_.results.empty()) {
    // The results keep the last record, marked complete.
    nlohmann::json j = entry_.to_json();
    j["complete"] = true;
    std::ofstream(fs::path(entry_.results) / "journal.json") << j.dump(2) << "\n";
  }
}

void RunJournal::container(const std::string& id, const std::string& state) {
  // Every change of a fault claims its container: write only what is new.
  if (auto it = entry_.containers.find(id); it != entry_.containers.end() && it->second == state)
    return;
  entry_.containers[id] = state;
  write();
}

void RunJournal::fault(std::size_t index, const std::string& what, const std::string& state) {
  entry_.faults[index] = {what, state};
  write();
}

void RunJournal::write() {
  const std::string text = entry_.to_json().dump(2) + "\n";
  const std::string tmp = path_ + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    out.flush();
    if (!out) throw std::runtime_error("cannot write the run journal " + tmp);
  }
  fs::rename(tmp, path_);  // atomic: recovery never reads half an entry
  if (!entry_.results.empty() && fs::is_directory(entry_.results))
    std::ofstream(fs::path(entry_.results) / "journal.json") << text;
}

std::vector<std::pair<std::string, JournalEntry>> read_journals(const std::string& state_dir) {
  std::vector<std::pair<std::string, JournalEntry>> out;
  std::error_code ec;
  for (const auto& file : fs::directory_iterator(fs::path(state_dir) / "runs", ec)) {
    if (file.path().extension() != ".json") continue;
    std::ifstream in(file.path());
    auto j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_object()) out.emplace_back(file.path().string(), JournalEntry::from_json(j));
  }
  return out;
}

}  // namespace faultline
