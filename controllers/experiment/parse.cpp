#include "controllers/experiment/parse.hpp"

#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace faultline {

namespace fs = std::filesystem;

std::string Diagnostic::to_string() const {
  return file + ":" + std::to_string(where.line) + ":" + std::to_string(where.column) + ": " +
         message;
}

namespace {
std::string join_lines(const std::vector<Diagnostic>& diagnostics) {
  std::string text;
  for (const auto& d : diagnostics) text += (text.empty() ? "" : "\n") + d.to_string();
  return text;
}
}  // namespace

ExperimentError::ExperimentError(std::vector<Diagnostic> diagnostics)
    : std::runtime_error(join_lines(diagnostics)), diagnostics_(std::move(diagnostics)) {}

std::optional<Duration> parse_duration(std::string_view text) {
  static const std::pair<std::string_view, double> kUnits[] = {
      {"ms", 1.0}, {"s", 1000.0}, {"m", 60000.0}, {"h", 3600000.0}};
  for (const auto& [suffix, scale] : kUnits) {
    if (text.size() <= suffix.size() || text.substr(text.size() - suffix.size()) != suffix)
      continue;
    std::string number(text.substr(0, text.size() - suffix.size()));
    // "ms" also ends in "s": make sure the number part is a number.
    if (number.empty() ||
        !(std::isdigit(static_cast<unsigned char>(number[0])) || number[0] == '-'))
      continue;
    std::istringstream in(number);
    double value = 0;
    in >> value;
    if (!in || !in.eof()) continue;
    if (!std::isfinite(value)) return std::nullopt;
    return Duration(static_cast<long long>(std::llround(value * scale)));
  }
  return std::nullopt;
}

std::string format_duration(Duration d) {
  auto ms = d.count();
  if (ms != 0 && ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::optional<std::string> nearest(const std::string& word,
                                   const std::vector<std::string>& candidates) {
  auto distance = [](const std::string& a, const std::string& b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
      size_t diagonal = row[0];
      row[0] = i;
      for (size_t j = 1; j <= b.size(); ++j) {
        size_t above = row[j];
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
        diagonal = above;
      }
    }
    return row[b.size()];
  };
  std::optional<std::string> best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    size_t d = distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

std::optional<std::string> resolve_program(const std::string& program,
                                           const std::string& base_dir) {
  auto executable = [](const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
  };
  if (program.find('/') != std::string::npos) {
    fs::path p = fs::path(program).is_absolute() ? fs::path(program) : fs::path(base_dir) / program;
    if (executable(p)) return fs::weakly_canonical(p).string();
    return std::nullopt;
  }
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec && executable(self.parent_path() / program))
    return (self.parent_path() / program).string();
  const char* path_env = std::getenv("PATH");
  std::string paths = path_env ? path_env : "/usr/local/bin:/usr/bin:/bin";
  std::istringstream in(paths);
  for (std::string dir; std::getline(in, dir, ':');)
    if (!dir.empty() && executable(fs::path(dir) / program))
      return (fs::path(dir) / program).string();
  return std::nullopt;
}

namespace {

using Keys = std::vector<std::string>;

SourcePosition position_of(const toml::source_region& source) {
  return {static_cast<int>(source.begin.line), static_cast<int>(source.begin.column)};
}

bool valid_name(const std::string& s, size_t max_len, bool allow_dash) {
  if (s.empty() || s.size() > max_len) return false;
  if (!std::islower(static_cast<unsigned char>(s[0])) &&
      !std::isdigit(static_cast<unsigned char>(s[0])))
    return false;
  return std::all_of(s.begin(), s.end(), [&](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) || (allow_dash && c == '-');
  });
}

// Reads values out of toml tables, collecting diagnostics instead of stopping at
// the first, so a user sees every problem of a file in one go.
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  void error(SourcePosition at, std::string message) {
    diagnostics_.push_back({file_, at, std::move(message)});
  }
  void error(const toml::node& node, std::string message) {
    error(position_of(node.source()), std::move(message));
  }
  std::vector<Diagnostic>& diagnostics() { return diagnostics_; }

  void check_keys(const toml::table& table, const std::string& where, const Keys& allowed) {
    context_ = where;
    for (auto&& [key, value] : table) {
      std::string k(key.str());
      if (std::find(allowed.begin(), allowed.end(), k) != allowed.end()) continue;
      std::string message = "unknown key '" + k + "' in " + where;
      if (auto guess = nearest(k, allowed)) message += "; did you mean '" + *guess + "'?";
      error(position_of(key.source()), message);
    }
  }

  std::optional<std::string> string(const toml::table& t, const char* key, bool required = false) {
    const toml::node* node = t.get(key);
    if (node == nullptr) {
      if (required) missing(t, key);
      return std::nullopt;
    }
    if (auto v = node->value<std::string>(); v && node->is_string()) return *v;
    error(*node, std::string("'") + key + "' must be a string");
    return std::nullopt;
  }

  // A required string that must be one of `choices`; returns its index.
  std::optional<std::size_t> choice(const toml::table& t, const char* key, const Keys& choices,
                                    const std::string& what) {
    auto value = string(t, key, true);
    if (!value) return std::nullopt;
    auto it = std::find(choices.begin(), choices.end(), *value);
    if (it != choices.end()) return static_cast<std::size_t>(it - choices.begin());
    std::string msg = "unknown " + what + " '" + *value + "'";
    if (auto guess = nearest(*value, choices)) msg += "; did you mean '" + *guess + "'?";
    std::string all;
    for (const auto& c : choices) all += (all.empty() ? "" : ", ") + c;
    error(*t.get(key), msg + " (one of: " + all + ")");
    return std::nullopt;
  }

  std::optional<std::int64_t> integer(const toml::table& t, const char* key, std::int64_t lo,
                                      std::int64_t hi, bool required = false) {
    const toml::node* node = t.get(key);
    if (node == nullptr) {
      if (required) missing(t, key);
      return std::nullopt;
    }
    if (!node->is_integer()) {
      error(*node, std::string("'") + key + "' must be an integer");
      return std::nullopt;
    }
    auto v = *node->value<std::int64_t>();
    if (v < lo || v > hi) {
      error(*node, std::string("'") + key + "' must be between " + std::to_string(lo) + " and " +
                       std::to_string(hi) + ", not " + std::to_string(v));
      return std::nullopt;
    }
    return v;
  }

  std::optional<double> number(const toml::table& t, const char* key, double lo, double hi) {
    const toml::node* node = t.get(key);
    if (node == nullptr) return std::nullopt;
    if (!node->is_number()) {
      error(*node, std::string("'") + key + "' must be a number");
      return std::nullopt;
    }
    double v = *node->value<double>();
    if (!(v >= lo && v <= hi)) {
      std::ostringstream msg;
      msg << "'" << key << "' must be between " << lo << " and " << hi << ", not " << v;
      error(*node, msg.str());
      return std::nullopt;
    }
    return v;
  }

  std::optional<Duration> duration(const toml::table& t, const char* key, Duration lo, Duration hi,
                                   bool required = false) {
    const toml::node* node = t.get(key);
    if (node == nullptr) {
      if (required) missing(t, key);
      return std::nullopt;
    }
    auto text = node->value<std::string>();
    if (!node->is_string() || !text) {
      error(*node,
            std::string("'") + key + "' must be a duration string such as \"500ms\" or \"10s\"");
      return std::nullopt;
    }
    auto d = parse_duration(*text);
    if (!d) {
      error(*node, std::string("'") + key + "' = \"" + *text +
                       "\" is not a duration; write a number with ms, s, m or h, such as \"10s\"");
      return std::nullopt;
    }
    if (d->count() < 0) {
      error(*node, std::string("'") + key + "' must not be negative, got \"" + *text + "\"");
      return std::nullopt;
    }
    if (*d < lo || *d > hi) {
      error(*node, std::string("'") + key + "' must be between " + format_duration(lo) + " and " +
                       format_duration(hi) + ", got \"" + *text + "\"");
      return std::nullopt;
    }
    return d;
  }

  std::optional<bool> boolean(const toml::table& t, const char* key) {
    const toml::node* node = t.get(key);
    if (node == nullptr) return std::nullopt;
    if (!node->is_boolean()) {
      error(*node, std::string("'") + key + "' must be true or false");
      return std::nullopt;
    }
    return *node->value<bool>();
  }

  std::optional<std::vector<std::string>> strings(const toml::table& t, const char* key,
                                                  bool required = false) {
    const toml::node* node = t.get(key);
    if (node == nullptr) {
      if (required) missing(t, key);
      return std::nullopt;
    }
    const toml::array* array = node->as_array();
    std::vector<std::string> out;
    bool ok = array != nullptr;
    if (ok)
      for (const auto& item : *array) {
        if (!item.is_string()) {
          ok = false;
          break;
        }
        out.push_back(*item.value<std::string>());
      }
    if (!ok) {
      error(*node, std::string("'") + key + "' must be an array of strings");
      return std::nullopt;
    }
    return out;
  }

  // An array of tables ([[region]]) or nothing; anything else is an error.
  const toml::array* tables(const toml::table& root, const char* key) {
    const toml::node* node = root.get(key);
    if (node == nullptr) return nullptr;
    const toml::array* array = node->as_array();
    if (array == nullptr || !array->is_array_of_tables()) {
      error(*node, std::string("'") + key + "' must be written as [[" + key + "]] tables");
      return nullptr;
    }
    return array;
  }

  const toml::table* table(const toml::table& root, const char* key) {
    const toml::node* node = root.get(key);
    if (node == nullptr) return nullptr;
    if (!node->is_table()) {
      error(*node, std::string("'") + key + "' must be a table, written [" + key + "]");
      return nullptr;
    }
    return node->as_table();
  }

 private:
  void missing(const toml::table& t, const char* key) {
    error(position_of(t.source()),
          std::string("missing required key '") + key + "' in " + context_);
  }

  std::string file_;
  std::string context_ = "the table";  // the table being read, for messages
  std::vector<Diagnostic> diagnostics_;
};

constexpr Duration kMaxDuration{24 * 3600 * 1000};

const Keys kRootKeys{"experiment", "region", "service", "workload", "wan",
                      "fault",      "invariant", "vars"};
const Keys kExperimentKeys{"name",   "description", "duration", "seed",
                           "engine", "hosts",       "unknown"};
const Keys kEngines{"auto", "netem", "nfqueue"};
const Keys kRegionKeys{"name", "geo", "failover"};
const Keys kServiceKeys{"name", "host", "command", "health", "user"};
const Keys kHealthKeys{"path", "port", "timeout"};
const Keys kWorkloadKeys{"kind",  "service", "port",    "clients_per_region",   "rate",
                         "keys",  "reads",   "timeout", "customers_per_region", "data",
                         "state_service", "state_port"};
const Keys kFaultKeys{"kind",         "at",       "for",     "groups",  "direction",
                      "mode",         "region",   "service", "between", "port",
                      "ports",        "protocol", "delay",   "jitter",  "correlation",
                      "distribution", "percent",  "rate",    "host",    "loss",
                      "offset",       "drift"};
const Keys kFaultKinds{"partition", "isolate",   "kill",    "pause",   "restart",   "delay",
                       "loss",      "duplicate", "reorder", "corrupt", "bandwidth", "slow-db",
                       "clock-skew"};
const Keys kInvariantKeys{"kind", "within", "probe", "min"};
const Keys kInvariantKinds{"convergence", "no-lost-writes", "read-your-writes", "monotonic-reads",
                           "residency",   "failover-time",  "availability"};
const Keys kPlaceholders{"region", "geo",     "addr",     "addr6",   "peers",
                         "peers6", "results", "topology", "workdir"};

void read_experiment_table(Reader& r, const toml::table& root, Experiment& e) {
  const toml::table* t = r.table(root, "experiment");
  if (t == nullptr) {
    if (!root.contains("experiment"))
      r.error({1, 1}, "missing [experiment] table with 'name' and 'duration'");
    return;
  }
  r.check_keys(*t, "[experiment]", kExperimentKeys);
  if (auto name = r.string(*t, "name", true)) {
    if (!valid_name(*name, 64, true))
      r.error(*t->get("name"),
              "'name' must be lowercase letters, digits and '-', at most 64 characters");
    e.name = *name;
  }
  e.description = r.string(*t, "description").value_or("");
  if (auto d = r.duration(*t, "duration", Duration(1000), kMaxDuration, true)) e.duration = *d;
  if (auto seed = r.integer(*t, "seed", 0, INT64_MAX)) e.seed = static_cast<std::uint64_t>(*seed);
  if (t->contains("unknown")) {
    const Keys choices{"fails", "passes"};
    if (auto u = r.choice(*t, "unknown", choices, "choice for 'unknown'")) e.unknown_fails = *u == 0;
  }
  if (t->contains("engine"))
    if (auto engine = r.choice(*t, "engine", kEngines, "engine")) e.engine = kEngines[*engine];
  if (auto hosts = r.strings(*t, "hosts")) {
    std::set<std::string> seen;
    for (const auto& h : *hosts) {
      if (!valid_name(h, 10, false))
        r.error(*t->get("hosts"),
                "host name '" + h + "' must be 1 to 10 lowercase letters or digits");
      if (!seen.insert(h).second) r.error(*t->get("hosts"), "host '" + h + "' is listed twice");
    }
    if (hosts->empty()) r.error(*t->get("hosts"), "'hosts' must name at least one host");
    e.hosts = *hosts;
  }
}

void read_regions(Reader& r, const toml::table& root, Experiment& e) {
  const toml::array* regions = r.tables(root, "region");
  if (regions == nullptr) {
    if (!root.contains("region"))
      r.error({1, 1}, "no [[region]] tables: an experiment needs at least one region");
    return;
  }
  for (const auto& node : *regions) {
    const toml::table& t = *node.as_table();
    r.check_keys(t, "[[region]]", kRegionKeys);
    RegionSpec region;
    region.where = position_of(t.source());
    if (auto name = r.string(t, "name", true)) {
      if (!valid_name(*name, 32, true))
        r.error(*t.get("name"),
                "region name '" + *name +
                    "' must be lowercase letters, digits and '-', at most 32 characters");
      else if (e.find_region(*name) != nullptr)
        r.error(*t.get("name"), "region '" + *name + "' is defined twice");
      region.name = *name;
    }
    region.geo = r.string(t, "geo", true).value_or("");
    region.failover = r.string(t, "failover").value_or("");
    if (!region.name.empty()) e.regions.push_back(region);
  }
  // Failover stays in the geo: that is what keeps residency during a failure.
  for (const auto& node : *regions) {
    const toml::table& t = *node.as_table();
    auto name = t["name"].value<std::string>();
    auto failover = t["failover"].value<std::string>();
    if (!name || !failover || !t.get("failover")->is_string()) continue;
    const RegionSpec* self = e.find_region(*name);
    const RegionSpec* other = e.find_region(*failover);
    if (self == nullptr) continue;
    if (other == nullptr) {
      std::vector<std::string> names;
      for (const auto& reg : e.regions) names.push_back(reg.name);
      std::string msg = "failover region '" + *failover + "' is not a region of this experiment";
      if (auto guess = nearest(*failover, names)) msg += "; did you mean '" + *guess + "'?";
      r.error(*t.get("failover"), msg);
    } else if (other == self) {
      r.error(*t.get("failover"), "a region cannot fail over to itself");
    } else if (other->geo != self->geo) {
      r.error(*t.get("failover"), "failover region '" + *failover + "' is in geo '" + other->geo +
                                      "', not '" + self->geo +
                                      "': failover must stay in the geo (data residency)");
    }
  }
  if (e.regions.size() > 200)
    r.error(position_of(regions->source()), "at most 200 regions are supported");
}

// [vars]: strings an experiment names once and uses in commands as
// {vars.NAME}; `faultline run --var NAME=VALUE` overrides them.
void read_vars(Reader& r, const toml::table& root, Experiment& e, const VarOverrides& overrides) {
  if (const toml::table* t = r.table(root, "vars")) {
    for (auto&& [key, value] : *t) {
      const std::string name(key.str());
      if (name.empty() || name.size() > 32 || !std::all_of(name.begin(), name.end(), [](char c) {
            return std::islower(static_cast<unsigned char>(c)) ||
                   std::isdigit(static_cast<unsigned char>(c)) || c == '_' || c == '-';
          }))
        r.error(position_of(key.source()),
                "variable name '" + name + "' must be lowercase letters, digits, '_' and '-'");
      if (auto v = value.value<std::string>(); v && value.is_string())
        e.vars[name] = *v;
      else
        r.error(value, "variable '" + name + "' must be a string");
    }
  }
  for (const auto& [name, value] : overrides) {
    if (e.vars.count(name) == 0) {
      std::vector<std::string> names;
      for (const auto& [n, v] : e.vars) names.push_back(n);
      std::string msg = "--var " + name + ": the experiment has no variable '" + name + "' in [vars]";
      if (auto guess = nearest(name, names)) msg += "; did you mean '" + *guess + "'?";
      r.error({1, 1}, msg);
      continue;
    }
    e.vars[name] = value;
  }
}

// Replaces {vars.NAME} in one command argument.
std::string substitute_vars(Reader& r, const toml::node& at, const std::string& arg,
                            const Experiment& e) {
  const std::string prefix = "{vars.";
  std::string out;
  std::size_t i = 0;
  for (std::size_t open; (open = arg.find(prefix, i)) != std::string::npos;) {
    const std::size_t close = arg.find('}', open);
    if (close == std::string::npos) break;
    const std::string name = arg.substr(open + prefix.size(), close - open - prefix.size());
    out += arg.substr(i, open - i);
    if (auto it = e.vars.find(name); it != e.vars.end()) {
      out += it->second;
    } else {
      std::vector<std::string> names;
      for (const auto& [n, v] : e.vars) names.push_back(n);
      std::string msg = "unknown variable '{vars." + name + "}' in command";
      if (auto guess = nearest(name, names)) msg += "; did you mean '{vars." + *guess + "}'?";
      r.error(at, msg + " (variables are defined in [vars])");
    }
    i = close + 1;
  }
  return out + arg.substr(i);
}

void read_services(Reader& r, const toml::table& root, Experiment& e, const std::string& base_dir,
                   const ProgramResolver& resolver) {
  const toml::array* services = r.tables(root, "service");
  if (services == nullptr) return;
  for (const auto& node : *services) {
    const toml::table& t = *node.as_table();
    r.check_keys(t, "[[service]]", kServiceKeys);
    ServiceSpec s;
    s.where = position_of(t.source());
    s.name = r.string(t, "name", true).value_or("");
    if (!s.name.empty() && !valid_name(s.name, 32, true))
      r.error(*t.get("name"),
              "service name '" + s.name + "' must be lowercase letters, digits and '-'");
    if (!s.name.empty() && e.find_service(s.name) != nullptr)
      r.error(*t.get("name"), "service '" + s.name + "' is defined twice");
    if (auto host = r.string(t, "host", true)) {
      if (std::find(e.hosts.begin(), e.hosts.end(), *host) == e.hosts.end()) {
        std::string msg = "service '" + s.name + "' runs on unknown host '" + *host + "'";
        if (auto guess = nearest(*host, e.hosts)) msg += "; did you mean '" + *guess + "'?";
        r.error(*t.get("host"), msg);
      }
      s.host = *host;
    }
    if (auto command = r.strings(t, "command", true)) {
      const toml::node& cnode = *t.get("command");
      for (auto& arg : *command) arg = substitute_vars(r, cnode, arg, e);
      if (command->empty()) {
        r.error(cnode, "'command' must name a program");
      } else {
        for (const auto& arg : *command) {
          for (size_t open = arg.find('{'); open != std::string::npos;
               open = arg.find('{', open + 1)) {
            size_t close = arg.find('}', open);
            std::string name = arg.substr(
                open + 1, close == std::string::npos ? std::string::npos : close - open - 1);
            const auto colon = name.find(':');
            const std::string base = name.substr(0, colon);
            if (close != std::string::npos && colon != std::string::npos &&
                (base == "addr" || base == "addr6")) {
              const std::string host = name.substr(colon + 1);
              if (std::find(e.hosts.begin(), e.hosts.end(), host) == e.hosts.end())
                r.error(cnode, "placeholder '{" + name + "}' names unknown host '" + host + "'");
              continue;
            }
            if (close == std::string::npos || std::find(kPlaceholders.begin(), kPlaceholders.end(),
                                                        name) == kPlaceholders.end()) {
              std::string msg = "unknown placeholder '{" + name + "}' in command";
              if (auto guess = nearest(name, kPlaceholders))
                msg += "; did you mean '{" + *guess + "}'?";
              r.error(cnode, msg);
            }
          }
        }
        if (auto program = resolver((*command)[0], base_dir)) {
          s.program = *program;
        } else {
          r.error(cnode,
                  "program '" + (*command)[0] +
                      "' not found (looked next to faultline and on PATH; a path with '/' is "
                      "relative to the experiment file): build it or fix the path");
        }
        s.command = *command;
      }
    }
    if (const toml::node* hnode = t.get("health")) {
      if (const toml::table* h = hnode->as_table()) {
        r.check_keys(*h, "service health", kHealthKeys);
        if (auto path = r.string(*h, "path")) {
          if (path->empty() || (*path)[0] != '/')
            r.error(*h->get("path"), "health 'path' must start with '/'");
          s.health.path = *path;
        }
        if (auto port = r.integer(*h, "port", 1, 65535, true))
          s.health.port = static_cast<std::uint16_t>(*port);
        if (auto timeout = r.duration(*h, "timeout", Duration(100), Duration(600000)))
          s.health.timeout = *timeout;
      } else {
        r.error(*hnode, "'health' must be a table such as { path = \"/health\", port = 8080 }");
      }
    }
    if (auto user = r.string(t, "user")) {
      if (user->empty() || !std::all_of(user->begin(), user->end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
          }))
        r.error(*t.get("user"), "'user' must be a user name such as \"nobody\"");
      s.user = *user;
    }
    if (!s.name.empty()) e.services.push_back(s);
  }
}

void read_workload(Reader& r, const toml::table& root, Experiment& e) {
  const toml::table* t = r.table(root, "workload");
  if (t == nullptr) return;
  r.check_keys(*t, "[workload]", kWorkloadKeys);
  WorkloadSpec& w = e.workload;
  w.where = position_of(t->source());
  if (auto kind = r.string(*t, "kind"); kind && *kind != "kv")
    r.error(*t->get("kind"), "unknown workload kind '" + *kind + "'; the only kind is 'kv'");
  if (auto service = r.string(*t, "service")) w.service = *service;
  if (auto port = r.integer(*t, "port", 1, 65535)) w.port = static_cast<std::uint16_t>(*port);
  if (auto n = r.integer(*t, "clients_per_region", 1, 64))
    w.clients_per_region = static_cast<int>(*n);
  if (auto rate = r.number(*t, "rate", 0.1, 100000)) w.rate = *rate;
  if (auto keys = r.integer(*t, "keys", 1, 100000)) w.keys = static_cast<int>(*keys);
  if (auto reads = r.number(*t, "reads", 0, 1)) w.read_fraction = *reads;
  if (auto timeout = r.duration(*t, "timeout", Duration(10), Duration(60000))) w.timeout = *timeout;
  if (t->contains("data")) {
    const Keys kinds{"global", "customers"};
    if (auto data = r.choice(*t, "data", kinds, "workload data"))
      w.data = *data == 0 ? WorkloadData::global : WorkloadData::customers;
  }
  if (auto n = r.integer(*t, "customers_per_region", 1, 1000)) {
    if (w.data != WorkloadData::customers)
      r.error(*t->get("customers_per_region"), "'customers_per_region' needs data = \"customers\"");
    w.customers_per_region = static_cast<int>(*n);
  }
  if (auto service = r.string(*t, "state_service")) w.state_service = *service;
  if (auto port = r.integer(*t, "state_port", 1, 65535))
    w.state_port = static_cast<std::uint16_t>(*port);
}

// Which keys each fault kind takes (besides kind and at).
const std::map<std::string, Keys> kFaultKindKeys{
    {"partition", {"for", "groups", "direction", "mode", "port", "ports", "protocol"}},
    {"isolate", {"for", "region", "mode", "port", "ports", "protocol"}},
    {"kill", {"for", "region", "service"}},
    {"pause", {"for", "region", "service"}},
    {"restart", {"region", "service"}},
    {"delay",
     {"for", "between", "direction", "port", "ports", "protocol", "delay", "jitter", "correlation",
      "distribution"}},
    {"loss",
     {"for", "between", "direction", "port", "ports", "protocol", "percent", "correlation"}},
    {"duplicate", {"for", "between", "direction", "port", "ports", "protocol", "percent"}},
    {"reorder",
     {"for", "between", "direction", "port", "ports", "protocol", "percent", "correlation",
      "delay"}},
    {"corrupt", {"for", "between", "direction", "port", "ports", "protocol", "percent"}},
    {"bandwidth", {"for", "between", "direction", "port", "ports", "protocol", "rate"}},
    {"slow-db", {"for", "region", "host", "port", "delay", "jitter", "distribution", "loss"}},
    {"clock-skew", {"for", "region", "service", "offset", "drift"}},
};
const Keys kDistributions{"uniform", "normal", "pareto", "paretonormal"};

// "10mbit", "1.5gbit", "500kbit", "64000bit" (tc's units; bits per second).
std::optional<std::uint64_t> parse_rate(const std::string& text) {
  static const std::pair<std::string_view, double> kUnits[] = {
      {"gbit", 1e9}, {"mbit", 1e6}, {"kbit", 1e3}, {"bit", 1}};
  for (const auto& [suffix, scale] : kUnits) {
    if (text.size() <= suffix.size() ||
        text.compare(text.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    std::istringstream in(text.substr(0, text.size() - suffix.size()));
    double v = 0;
    in >> v;
    if (!in || !in.eof() || !(v > 0) || !std::isfinite(v)) return std::nullopt;
    return static_cast<std::uint64_t>(std::llround(v * scale));
  }
  return std::nullopt;
}

// Shared by [wan] and traffic-control faults: netem's delay parameters.
void read_delay(Reader& r, const toml::table& t, LinkImpairment& i, bool required) {
  if (auto d = r.duration(t, "delay", Duration(0), Duration(60000), required)) i.delay = *d;
  if (auto j = r.duration(t, "jitter", Duration(0), Duration(60000))) {
    i.jitter = *j;
    if (i.jitter > i.delay && t.contains("delay"))
      r.error(*t.get("jitter"),
              "'jitter' larger than 'delay' would need negative delays; netem clips them");
  }
  if (auto c = r.number(t, "correlation", 0, 100)) i.delay_correlation = *c;
  if (const toml::node* node = t.get("distribution")) {
    auto name = node->value<std::string>();
    if (!node->is_string() ||
        std::find(kDistributions.begin(), kDistributions.end(), *name) == kDistributions.end())
      r.error(*node, "'distribution' must be one of: uniform, normal, pareto, paretonormal");
    else if (i.jitter.count() == 0 && !t.contains("jitter"))
      r.error(*node, "a 'distribution' shapes the jitter: give 'jitter' too");
    else
      i.distribution = *name;
  }
}

void read_faults(Reader& r, const toml::table& root, Experiment& e) {
  const toml::array* faults = r.tables(root, "fault");
  if (faults == nullptr) return;
  std::vector<std::string> region_names;
  for (const auto& region : e.regions) region_names.push_back(region.name);

  auto check_region = [&](const toml::node& at, const std::string& name) {
    if (e.find_region(name) != nullptr) return true;
    std::string msg = "unknown region '" + name + "'";
    if (auto guess = nearest(name, region_names)) msg += "; did you mean '" + *guess + "'?";
    r.error(at, msg);
    return false;
  };

  for (const auto& node : *faults) {
    const toml::table& t = *node.as_table();
    r.check_keys(t, "[[fault]]", kFaultKeys);
    FaultSpec f;
    f.where = position_of(t.source());
    auto kind = r.choice(t, "kind", kFaultKinds, "fault kind");
    if (!kind) continue;
    f.kind = static_cast<FaultKind>(*kind);
    const std::string kind_name = kFaultKinds[*kind];

    // Keys that exist but belong to other kinds of fault.
    const Keys& own = kFaultKindKeys.at(kind_name);
    for (auto&& [key, value] : t) {
      std::string k(key.str());
      if (k == "kind" || k == "at" ||
          std::find(kFaultKeys.begin(), kFaultKeys.end(), k) == kFaultKeys.end())
        continue;
      if (std::find(own.begin(), own.end(), k) != own.end()) continue;
      if (k == "for" && f.kind == FaultKind::restart) {
        r.error(position_of(key.source()), "a restart is instantaneous: remove 'for'");
        continue;
      }
      std::string all = "at";
      for (const auto& o : own) all += ", " + o;
      r.error(position_of(key.source()),
              "'" + k + "' does not apply to a " + kind_name + " fault (its keys: " + all + ")");
    }

    if (auto at = r.duration(t, "at", Duration(0), kMaxDuration, true)) {
      f.at = *at;
      if (e.duration.count() > 0 && f.at >= e.duration)
        r.error(*t.get("at"), "fault starts at " + format_duration(f.at) +
                                  ", after the experiment ends (" + format_duration(e.duration) +
                                  ")");
    }
    if (f.kind != FaultKind::restart)
      if (auto length = r.duration(t, "for", Duration(1), kMaxDuration, true)) f.length = *length;

    if (auto mode = r.string(t, "mode")) {
      if (*mode == "prohibit")
        f.prohibit = true;
      else if (*mode != "blackhole")
        r.error(*t.get("mode"),
                "'mode' must be \"blackhole\" (drop silently) or \"prohibit\" (reject at once)");
    }
    if (auto direction = r.string(t, "direction")) {
      if (*direction == "one-way")
        f.one_way = true;
      else if (*direction != "both")
        r.error(*t.get("direction"), "'direction' must be \"both\" or \"one-way\"");
    }

    if (f.kind == FaultKind::partition) {
      const toml::node* gnode = t.get("groups");
      const toml::array* groups = gnode ? gnode->as_array() : nullptr;
      if (gnode == nullptr) {
        r.error(f.where,
                "a partition needs 'groups', e.g. groups = [[\"us-east-1\"], [\"eu-west-1\"]]");
      } else if (groups == nullptr || groups->size() < 2) {
        r.error(*gnode, "'groups' must be an array of at least two arrays of region names");
      } else {
        std::set<std::string> seen;
        for (const auto& g : *groups) {
          const toml::array* group = g.as_array();
          if (group == nullptr || group->empty()) {
            r.error(g, "each group must be a non-empty array of region names");
            continue;
          }
          std::vector<std::string> names;
          for (const auto& item : *group) {
            auto name = item.value<std::string>();
            if (!item.is_string() || !name) {
              r.error(item, "region names must be strings");
              continue;
            }
            if (!check_region(item, *name)) continue;
            if (!seen.insert(*name).second)
              r.error(item, "region '" + *name + "' is in more than one group");
            names.push_back(*name);
          }
          f.groups.push_back(names);
        }
      }
    }

    if (std::find(own.begin(), own.end(), "region") != own.end()) {
      if (auto region = r.string(t, "region", true))
        if (check_region(*t.get("region"), *region)) f.region = *region;
    }
    if (f.kind == FaultKind::isolate && !f.region.empty()) {
      if (e.regions.size() < 2) r.error(f.where, "isolating a region needs at least two regions");
      std::vector<std::string> others;
      for (const auto& region : e.regions)
        if (region.name != f.region) others.push_back(region.name);
      f.groups = {{f.region}, others};
    }

    if (std::find(own.begin(), own.end(), "service") != own.end()) {
      if (auto service = r.string(t, "service", f.kind != FaultKind::clock_skew)) {
        if (e.find_service(*service) == nullptr) {
          std::vector<std::string> names;
          for (const auto& s : e.services) names.push_back(s.name);
          std::string msg = "unknown service '" + *service + "'";
          if (auto guess = nearest(*service, names)) msg += "; did you mean '" + *guess + "'?";
          r.error(*t.get("service"), msg);
        }
        f.service = *service;
      }
    }

    if (std::find(own.begin(), own.end(), "ports") != own.end()) {
      if (t.contains("port") && t.contains("ports"))
        r.error(*t.get("ports"), "give 'port' or 'ports', not both");
      if (auto port = r.integer(t, "port", 1, 65535))
        f.ports = PortRange{static_cast<std::uint16_t>(*port), static_cast<std::uint16_t>(*port)};
      if (auto ports = r.string(t, "ports")) {
        unsigned lo = 0, hi = 0;
        char dash = 0, extra = 0;
        if (std::sscanf(ports->c_str(), "%u%c%u%c", &lo, &dash, &hi, &extra) != 3 || dash != '-' ||
            lo < 1 || hi > 65535 || lo > hi)
          r.error(*t.get("ports"), "'ports' must be a range such as \"8000-8100\"");
        else
          f.ports = PortRange{static_cast<std::uint16_t>(lo), static_cast<std::uint16_t>(hi)};
      }
      if (auto protocol = r.string(t, "protocol")) {
        if (*protocol == "udp")
          f.protocol = 17;
        else if (*protocol != "tcp")
          r.error(*t.get("protocol"), "'protocol' must be \"tcp\" or \"udp\"");
        if (!t.contains("port") && !t.contains("ports"))
          r.error(*t.get("protocol"), "'protocol' narrows 'port' or 'ports': give one");
      }
      if (f.ports && f.prohibit && (f.kind == FaultKind::partition || f.kind == FaultKind::isolate))
        r.error(*t.get("mode"),
                "a partition narrowed to ports drops packets: remove 'mode = \"prohibit\"'");
    }

    if (f.kind == FaultKind::clock_skew) {
      if (const toml::node* node = t.get("offset")) {
        auto text = node->value<std::string>();
        const bool negative = text && !text->empty() && (*text)[0] == '-';
        auto d = text && node->is_string() ? parse_duration(negative ? text->substr(1) : *text)
                                           : std::nullopt;
        if (!d || *d > Duration(365LL * 24 * 3600 * 1000))
          r.error(*node, "'offset' must be a duration such as \"-10s\" or \"2m\", at most a year");
        else
          f.offset = negative ? -*d : *d;
      }
      if (auto drift = r.number(t, "drift", -0.5, 10)) f.drift = *drift;
      if (!t.contains("offset") && !t.contains("drift"))
        r.error(f.where, "a clock-skew fault needs 'offset', 'drift' or both");
    }

    if (is_traffic_fault(f.kind)) {
      if (auto between = r.strings(t, "between")) {
        if (between->size() != 2 || (*between)[0] == (*between)[1])
          r.error(*t.get("between"),
                  "'between' names two different regions: the link between them");
        else if (check_region(*t.get("between"), (*between)[0]) &&
                 check_region(*t.get("between"), (*between)[1]))
          f.between = *between;
      } else if (f.one_way && f.kind != FaultKind::slow_db) {
        r.error(*t.get("direction"),
                "a one-way fault needs 'between' to say which way: from the first region to the "
                "second");
      }
      LinkImpairment& i = f.impairment;
      switch (f.kind) {
        case FaultKind::delay:
          read_delay(r, t, i, true);
          break;
        case FaultKind::loss:
          if (auto p = r.number(t, "percent", 0, 100))
            i.loss = *p;
          else if (!t.contains("percent"))
            r.error(f.where, "a loss fault needs 'percent'");
          if (auto c = r.number(t, "correlation", 0, 100)) i.loss_correlation = *c;
          break;
        case FaultKind::duplicate:
        case FaultKind::corrupt: {
          auto p = r.number(t, "percent", 0, 100);
          if (!p && !t.contains("percent"))
            r.error(f.where, std::string("a ") + kind_name + " fault needs 'percent'");
          (f.kind == FaultKind::duplicate ? i.duplicate : i.corrupt) = p.value_or(0);
          break;
        }
        case FaultKind::reorder:
          if (auto p = r.number(t, "percent", 0, 100))
            i.reorder = *p;
          else if (!t.contains("percent"))
            r.error(f.where, "a reorder fault needs 'percent'");
          if (auto c = r.number(t, "correlation", 0, 100)) i.reorder_correlation = *c;
          // netem reorders by sending some packets at once while it delays the rest.
          if (auto d = r.duration(t, "delay", Duration(1), Duration(60000), true)) i.delay = *d;
          break;
        case FaultKind::bandwidth:
          if (auto rate = r.string(t, "rate", true)) {
            if (auto bits = parse_rate(*rate))
              i.rate_bits = *bits;
            else
              r.error(*t.get("rate"),
                      "'rate' = \"" + *rate +
                          "\" is not a rate; write e.g. \"10mbit\", \"500kbit\" or \"1gbit\"");
          }
          break;
        case FaultKind::slow_db:
          read_delay(r, t, i, true);
          if (auto p = r.number(t, "loss", 0, 100)) i.loss = *p;
          if (auto host = r.string(t, "host")) {
            if (std::find(e.hosts.begin(), e.hosts.end(), *host) == e.hosts.end())
              r.error(*t.get("host"), "unknown host '" + *host + "'");
            f.host = *host;
          } else if (std::find(e.hosts.begin(), e.hosts.end(), "db") == e.hosts.end()) {
            r.error(
                f.where,
                "slow-db acts on the 'db' host, which this experiment's hosts lack: give 'host'");
          }
          if (!f.ports) f.ports = PortRange{5432, 5432};  // PostgreSQL's port
          break;
        default:
          break;
      }
    }
    e.faults.push_back(f);
  }
  if (e.faults.size() > 500)
    r.error(position_of(faults->source()), "at most 500 faults per experiment");
}

// The (interface, direction) each traffic-control fault shapes, for the
// coexistence rule: two such faults on one directed link may not overlap in
// time (their effects would not compose predictably).
std::vector<std::string> shaped_links(const Experiment& e, const FaultSpec& f) {
  std::vector<std::string> links;
  if (f.kind == FaultKind::slow_db) return {"db-host " + f.region + "/" + f.host};
  for (const auto& a : e.regions)
    for (const auto& b : e.regions) {
      if (a.name == b.name) continue;
      if (!f.between.empty()) {
        bool forward = a.name == f.between[0] && b.name == f.between[1];
        bool backward = a.name == f.between[1] && b.name == f.between[0];
        if (!forward && !(backward && !f.one_way)) continue;
      }
      links.push_back(a.name + "->" + b.name);
    }
  return links;
}

void check_coexistence(Reader& r, const Experiment& e) {
  for (size_t i = 0; i < e.faults.size(); ++i)
    for (size_t j = i + 1; j < e.faults.size(); ++j) {
      const FaultSpec& a = e.faults[i];
      const FaultSpec& b = e.faults[j];
      if (!is_traffic_fault(a.kind) || !is_traffic_fault(b.kind)) continue;
      if (a.at + a.length <= b.at || b.at + b.length <= a.at) continue;
      auto la = shaped_links(e, a), lb = shaped_links(e, b);
      for (const auto& link : la)
        if (std::find(lb.begin(), lb.end(), link) != lb.end()) {
          r.error(b.where, std::string(fault_kind_name(b.kind)) + " fault overlaps the " +
                               fault_kind_name(a.kind) + " fault at line " +
                               std::to_string(a.where.line) + " on " + link +
                               ": traffic-control faults on one link must not overlap in time; "
                               "combine them in one "
                               "window or move one");
          return;
        }
    }
  // kill, pause and restart of one service: a paused process cannot be
  // killed and started in a well-defined order, nor a killed one paused.
  auto is_process_fault = [](FaultKind k) {
    return k == FaultKind::kill || k == FaultKind::pause || k == FaultKind::restart;
  };
  auto end_of = [](const FaultSpec& f) {
    return f.at + (f.kind == FaultKind::restart ? Duration(1) : f.length);
  };
  for (size_t i = 0; i < e.faults.size(); ++i)
    for (size_t j = i + 1; j < e.faults.size(); ++j) {
      const FaultSpec& a = e.faults[i];
      const FaultSpec& b = e.faults[j];
      if (!is_process_fault(a.kind) || !is_process_fault(b.kind)) continue;
      if (a.region != b.region || a.service != b.service) continue;
      if (end_of(a) <= b.at || end_of(b) <= a.at) continue;
      r.error(b.where, std::string(fault_kind_name(b.kind)) + " of " + b.service + "@" + b.region +
                           " overlaps the " + fault_kind_name(a.kind) + " at line " +
                           std::to_string(a.where.line) +
                           ": one service takes one kill, pause or restart at a time; move one");
      return;
    }
}

void read_wan(Reader& r, const toml::table& root, Experiment& e) {
  const toml::table* t = r.table(root, "wan");
  if (t == nullptr) return;
  r.check_keys(*t, "[wan]", {"delay", "jitter", "correlation", "distribution", "loss", "rate"});
  WanBaseline wan;
  wan.where = position_of(t->source());
  read_delay(r, *t, wan.impairment, false);
  if (auto p = r.number(*t, "loss", 0, 100)) wan.impairment.loss = *p;
  if (auto rate = r.string(*t, "rate")) {
    if (auto bits = parse_rate(*rate))
      wan.impairment.rate_bits = *bits;
    else
      r.error(*t->get("rate"), "'rate' = \"" + *rate + "\" is not a rate; write e.g. \"100mbit\"");
  }
  e.wan = wan;
}

void read_invariants(Reader& r, const toml::table& root, Experiment& e) {
  const toml::array* invariants = r.tables(root, "invariant");
  if (invariants == nullptr) return;
  for (const auto& node : *invariants) {
    const toml::table& t = *node.as_table();
    r.check_keys(t, "[[invariant]]", kInvariantKeys);
    InvariantSpec inv;
    inv.where = position_of(t.source());
    auto kind = r.choice(t, "kind", kInvariantKinds, "invariant");
    if (!kind) continue;
    inv.kind = static_cast<InvariantKind>(*kind);
    if (auto within = r.duration(t, "within", Duration(100), Duration(600000))) {
      if (inv.kind != InvariantKind::convergence && inv.kind != InvariantKind::failover_time)
        r.error(*t.get("within"), "'within' applies to convergence and failover-time only");
      inv.within = *within;
    }
    if (auto min = r.number(t, "min", 0, 1)) {
      if (inv.kind != InvariantKind::availability)
        r.error(*t.get("min"), "'min' applies to availability only");
      inv.min_fraction = *min;
    }
    if (inv.kind == InvariantKind::failover_time && !t.contains("within"))
      r.error(inv.where, "failover-time needs a bound: 'within', such as \"10s\"");
    if (const toml::node* pnode = t.get("probe")) {
      const toml::table* probe = pnode->as_table();
      if (inv.kind != InvariantKind::residency) {
        r.error(*pnode, "'probe' applies to residency only");
      } else if (probe == nullptr) {
        r.error(*pnode, "'probe' must be a table such as { host = \"db\", port = 5432 }");
      } else {
        r.check_keys(*probe, "invariant probe", {"host", "port", "query", "user", "database"});
        if (auto user = r.string(*probe, "user")) inv.probe_user = *user;
        if (auto database = r.string(*probe, "database")) inv.probe_database = *database;
        if (auto host = r.string(*probe, "host")) {
          if (std::find(e.hosts.begin(), e.hosts.end(), *host) == e.hosts.end())
            r.error(*probe->get("host"), "unknown host '" + *host + "'");
          inv.probe_host = *host;
        }
        if (auto port = r.integer(*probe, "port", 1, 65535))
          inv.probe_port = static_cast<std::uint16_t>(*port);
        if (auto query = r.string(*probe, "query")) inv.probe_query = *query;
      }
    } else if (inv.kind == InvariantKind::residency &&
               std::find(e.hosts.begin(), e.hosts.end(), "db") == e.hosts.end()) {
      r.error(inv.where, "residency probes each region's 'db' host, which this experiment lacks: "
                         "give probe = { host = ..., port = ... }");
    }
    if ((inv.kind == InvariantKind::residency ||
         inv.kind == InvariantKind::failover_time) &&
        e.workload.data != WorkloadData::customers)
      r.error(inv.where, std::string(invariant_kind_name(inv.kind)) +
                             " is judged per customer: set data = \"customers\" in [workload]");
    e.invariants.push_back(inv);
  }
}

}  // namespace

Experiment parse_experiment(std::string_view text, const std::string& path,
                            const ProgramResolver& resolver, const VarOverrides& vars) {
  Reader r(path);
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& err) {
    r.error(position_of(err.source()), "TOML syntax: " + std::string(err.description()));
    throw ExperimentError(std::move(r.diagnostics()));
  }
  Experiment e;
  e.path = path;
  const std::string base_dir = fs::path(path).parent_path().string();
  r.check_keys(root, "the experiment file", kRootKeys);
  read_experiment_table(r, root, e);
  read_regions(r, root, e);
  read_vars(r, root, e, vars);
  read_services(r, root, e, base_dir.empty() ? "." : base_dir, resolver);
  read_workload(r, root, e);
  read_wan(r, root, e);
  read_faults(r, root, e);
  check_coexistence(r, e);
  if (e.engine == "nfqueue")
    for (const auto& f : e.faults)
      if (f.kind == FaultKind::duplicate || f.kind == FaultKind::corrupt)
        r.error(f.where, std::string(fault_kind_name(f.kind)) +
                             " needs sch_netem: use engine = \"netem\" or \"auto\"");
  read_invariants(r, root, e);

  if (!e.services.empty() && root.contains("workload") &&
      e.find_service(e.workload.service) == nullptr)
    r.error(e.workload.where, "workload targets unknown service '" + e.workload.service + "'");
  if (!e.workload.state_service.empty() && e.find_service(e.workload.state_service) == nullptr)
    r.error(e.workload.where,
            "workload 'state_service' names unknown service '" + e.workload.state_service + "'");
  if (root.contains("workload") && e.services.empty())
    r.error(e.workload.where, "a workload needs a [[service]] to talk to");
  if (!r.diagnostics().empty()) throw ExperimentError(std::move(r.diagnostics()));
  return e;
}

Experiment load_experiment(const std::string& path, const ProgramResolver& resolver,
                           const VarOverrides& vars) {
  std::ifstream in(path);
  if (!in) throw ExperimentError({{path, {0, 0}, "cannot read the experiment file"}});
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_experiment(buffer.str(), path, resolver, vars);
}

}  // namespace faultline
