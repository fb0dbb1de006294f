#include "controllers/experiment/http_client_table.hpp"

#include <algorithm>
#include <cctype>

#include "controllers/experiment/sections.hpp"
#include "controllers/experiment/workload_kinds.hpp"

namespace faultline {

namespace {

const Keys kMethods{"GET", "PUT", "POST", "DELETE", "PATCH"};
const std::vector<std::string> kTemplateNames{kHttpRead, kHttpWrite, kHttpCas, kHttpCasAbsent,
                                              kHttpAdd};

std::string quoted(const std::string& s) { return "'" + s + "'"; }

std::string list(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i)
    out += (i == 0 ? "" : i + 1 == items.size() ? " and " : ", ") + quoted(items[i]);
  return out;
}

// The keys only some operations' templates take.
bool read_only_key(std::string_view key) {
  return key == "value" || key == "value_encoding" || key == "value_absent" ||
         key == "empty_status";
}
bool cas_only_key(std::string_view key) { return key == "applied" || key == "applied_absent"; }

// A template's text: {vars.NAME} filled in, then split; a placeholder the
// operation lacks is refused here, where the key's position is known.
std::optional<HttpText> read_text(Reader& r, const toml::node& at, const std::string& raw,
                                  const Experiment& e, const std::string& where,
                                  const std::string& key, std::string_view operation) {
  const std::string filled = substitute_vars(r, at, raw, e, where + " '" + key + "'");
  std::string problem;
  auto text = parse_http_text(filled, problem);
  if (!text) {
    r.error(at, where + " '" + key + "': " + problem);
    return std::nullopt;
  }
  // Every request's headers (no operation) know only what every operation has.
  const auto allowed = operation.empty() ? std::vector<HttpField>{HttpField::key, HttpField::region}
                                         : http_fields_of(operation);
  for (const auto& part : text->parts)
    if (part.field && std::find(allowed.begin(), allowed.end(), *part.field) == allowed.end()) {
      std::string have;
      for (HttpField f : allowed)
        have += std::string(have.empty() ? "" : ", ") + "{" + http_field_name(f) + "}";
      r.error(at, where + " '" + key + "': {" + http_field_name(*part.field) +
                      "} has no value in " +
                      (operation.empty()             ? std::string("every request")
                       : operation == kHttpCasAbsent ? std::string("a cas from an empty key")
                                                     : "a " + std::string(operation)) +
                      " (it has " + have + ")");
      return std::nullopt;
    }
  return text;
}

// "Content-Type: application/json", as curl -H writes a header.
void read_headers(Reader& r, const toml::table& t, const Experiment& e, const std::string& where,
                  std::string_view operation, std::vector<std::pair<std::string, HttpText>>& out) {
  auto headers = r.strings(t, "headers");
  if (!headers) return;
  const toml::node& at = *t.get("headers");
  for (const auto& header : *headers) {
    const auto colon = header.find(':');
    std::string name = header.substr(0, colon);
    const bool token = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
    });
    if (colon == std::string::npos || !token) {
      r.error(
          at,
          where + " 'headers': '" + header +
              "' is not a header; write \"Name: value\", e.g. \"Content-Type: application/json\"");
      continue;
    }
    std::string value = header.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    if (auto text = read_text(r, at, value, e, where, "headers", operation))
      out.emplace_back(std::move(name), std::move(*text));
  }
}

std::optional<nlohmann::json::json_pointer> read_pointer(Reader& r, const toml::table& t,
                                                         const char* key, const Experiment& e,
                                                         const std::string& where) {
  auto raw = r.string(t, key);
  if (!raw) return std::nullopt;
  const toml::node& at = *t.get(key);
  const std::string text = substitute_vars(r, at, *raw, e, where + " '" + key + "'");
  try {
    return nlohmann::json::json_pointer(text);
  } catch (const nlohmann::json::exception&) {
    r.error(at, where + " '" + key + "' = \"" + text +
                    "\" is not a JSON pointer (RFC 6901): \"\" for the whole answer, else '/' and "
                    "a member or index per step, e.g. \"/kvs/0/value\" ('~0' is '~', '~1' is '/')");
    return std::nullopt;
  }
}

void read_template(Reader& r, const toml::table& t, const Experiment& e,
                   const std::string& operation, HttpRequestTemplate& out) {
  const std::string where = "[workload.http." + operation + "]";
  for (auto&& [key, node] : t) {
    const std::string k(key.str());
    if (read_only_key(k) && operation != kHttpRead)
      r.error(node, where + " '" + k + "' is for the read template: only a read has a value");
    else if (cas_only_key(k) && operation != kHttpCas && operation != kHttpCasAbsent)
      r.error(node, where + " '" + k + "' is for the cas templates: only a cas may not apply");
  }
  Keys all;
  for (const KeySpec& key : http_template_keys()) all.push_back(key.name);
  r.check_keys(t, where, all);
  if (auto method = r.string(t, "method")) {
    if (std::find(kMethods.begin(), kMethods.end(), *method) == kMethods.end())
      r.error(*t.get("method"), where + " 'method' = \"" + *method +
                                    "\"; the methods are GET, PUT, POST, DELETE and PATCH");
    else
      out.method = *method;
  }
  if (auto path = r.string(t, "path", true)) {
    const toml::node& at = *t.get("path");
    if (auto text = read_text(r, at, *path, e, where, "path", operation)) {
      if (text->source.empty() || text->source[0] != '/')
        r.error(at, where + " 'path' must start with '/', e.g. \"/v3/kv/range\"");
      out.path = std::move(*text);
    }
  }
  read_headers(r, t, e, where, operation, out.headers);
  if (auto body = r.string(t, "body"))
    if (auto text = read_text(r, *t.get("body"), *body, e, where, "body", operation))
      out.body = std::move(*text);
  if (operation == kHttpRead) {
    out.value = read_pointer(r, t, "value", e, where);
    if (!t.contains("value"))
      r.error(position_of(t.source()),
              where +
                  " needs 'value', the JSON pointer to the value in the answer (\"\" for "
                  "the whole answer), e.g. value = \"/kvs/0/value\"");
    if (t.contains("value_encoding"))
      if (auto i = r.choice(t, "value_encoding", {"json", "base64"}, where + " value_encoding"))
        out.value_encoding = *i == 0 ? HttpValueEncoding::json : HttpValueEncoding::base64;
    if (t.contains("value_absent"))
      if (auto i = r.choice(t, "value_absent", {"fail", "empty"}, where + " value_absent"))
        out.value_absent = *i == 0 ? HttpAbsent::fail : HttpAbsent::empty;
    if (auto status = r.integer(t, "empty_status", 100, 599))
      out.empty_status = {static_cast<unsigned>(*status)};
  } else if (operation == kHttpCas || operation == kHttpCasAbsent) {
    out.applied = read_pointer(r, t, "applied", e, where);
    if (t.contains("applied_absent")) {
      if (!t.contains("applied"))
        r.error(
            *t.get("applied_absent"),
            where + " 'applied_absent' says what a missing 'applied' means: give 'applied' too");
      else if (auto i = r.choice(t, "applied_absent", {"info", "fail"}, where + " applied_absent"))
        out.applied_absent = *i == 0 ? HttpAbsent::info : HttpAbsent::fail;
    }
  }
  // Status overrides; an entry in two lists is a contradiction.
  std::map<std::string, std::string> listed;  // entry -> the list naming it
  for (const auto& [key, outcome] :
       {std::pair{"ok", HttpOutcome::ok}, std::pair{"fail", HttpOutcome::fail},
        std::pair{"info", HttpOutcome::info}}) {
    auto entries = r.strings(t, key);
    if (!entries) continue;
    const toml::node& at = *t.get(key);
    for (const auto& entry : *entries) {
      if (auto [it, fresh] = listed.emplace(entry, key); !fresh) {
        r.error(at, where + " status '" + entry + "' is in both '" + it->second + "' and '" + key +
                        "'");
      } else if (!out.status.set(entry, outcome)) {
        r.error(at, where + " '" + key + "': '" + entry +
                        "' is not a status; write a status (\"404\") or a class (\"4xx\")");
      }
    }
  }
}

}  // namespace

const std::vector<KeySpec>& http_template_keys() {
  static const std::vector<KeySpec> keys{
      {.name = "method",
       .type = KeyType::string,
       .description = "the request's method",
       .default_value = "\"GET\"",
       .allowed = kMethods},
      {.name = "path",
       .type = KeyType::string,
       .description = "the request's target, with placeholders: \"/v1/kv/{key:url}\"",
       .required = true},
      {.name = "headers",
       .type = KeyType::strings,
       .description = "headers as \"Name: value\" (placeholders allowed), over [workload.http] "
                      "headers of the same name"},
      {.name = "body",
       .type = KeyType::string,
       .description = "the request's body, with placeholders: '{\"key\": \"{key:base64}\"}'",
       .default_value = "\"\""},
      {.name = "value",
       .type = KeyType::string,
       .description = "read: the JSON pointer (RFC 6901) to the value in a successful answer; \"\" "
                      "is the whole answer (its text if it is not JSON)",
       .required = false},
      {.name = "value_encoding",
       .type = KeyType::string,
       .description = "read: how the value is written there: \"json\" (a number, or a string of "
                      "the number) or \"base64\" (a base64 string of the number's decimal text)",
       .default_value = "\"json\"",
       .allowed = {"json", "base64"}},
      {.name = "value_absent",
       .type = KeyType::string,
       .description = "read: what a successful answer without the pointer means: \"fail\" (not an "
                      "answer the template reads: the read fails) or \"empty\" (the key holds "
                      "nothing: an ok read of null)",
       .default_value = "\"fail\"",
       .allowed = {"fail", "empty"}},
      {.name = "empty_status",
       .type = KeyType::integer,
       .description =
           "read: the status that says the key holds nothing (an ok read of null), e.g. 404",
       .minimum = "100",
       .maximum = "599"},
      {.name = "applied",
       .type = KeyType::string,
       .description = "cas: the JSON pointer to a boolean in a successful answer saying whether "
                      "the cas applied (false: fail)"},
      {.name = "applied_absent",
       .type = KeyType::string,
       .description = "cas: what a successful answer without 'applied' means: \"info\" (unknown) "
                      "or \"fail\" (it did not apply: an API that leaves false out)",
       .default_value = "\"info\"",
       .allowed = {"info", "fail"}},
      {.name = "ok",
       .type = KeyType::strings,
       .description = "statuses (\"404\") or classes (\"4xx\") that complete the operation ok, "
                      "over the defaults",
       .default_value = "[\"2xx\"]"},
      {.name = "fail",
       .type = KeyType::strings,
       .description = "statuses or classes that mean it certainly did not happen",
       .default_value = "[\"4xx\"]"},
      {.name = "info",
       .type = KeyType::strings,
       .description = "statuses or classes that leave it unknown (a read that is not ok fails: it "
                      "had no effect)",
       .default_value = "[\"5xx\"]"},
  };
  return keys;
}

const std::vector<KeySpec>& http_client_keys() {
  static const std::vector<KeySpec> keys = [] {
    std::vector<KeySpec> k{
        {.name = "service",
         .type = KeyType::string,
         .description =
             "the [[service]] the clients talk to, in their own region (at its host's address)",
         .required = true},
        {.name = "port",
         .type = KeyType::integer,
         .description = "its HTTP port",
         .minimum = "1",
         .maximum = "65535",
         .required = true},
        {.name = "headers",
         .type = KeyType::strings,
         .description =
             "headers on every request, as \"Name: value\": [\"Content-Type: application/json\"]"},
    };
    const std::vector<std::pair<const char*, const char*>> templates{
        {kHttpRead, "the read template (also the final reads): kv, register, set"},
        {kHttpWrite, "the write template: kv, register"},
        {kHttpCas, "the compare-and-set template: register"},
        {kHttpCasAbsent,
         "register, optional: the cas from an empty key (expected null), for APIs that compare "
         "absence apart from a value; without it such a cas uses 'cas'"},
        {kHttpAdd, "the add template: set"},
    };
    for (const auto& [name, description] : templates)
      k.push_back({.name = name,
                   .type = KeyType::table,
                   .description = description,
                   .fields = http_template_keys()});
    return k;
  }();
  return keys;
}

std::vector<std::string> http_operations_of(std::string_view workload_kind) {
  // A template is named as the operation it sends (read, write, cas, add).
  const WorkloadKind* kind = find_workload_kind(workload_kind);
  return kind == nullptr ? std::vector<std::string>{} : kind->operations;
}

void read_http_client(Reader& r, const toml::table& t, const Experiment& e,
                      std::string_view workload_kind, HttpClientSpec& out) {
  // Its own keys were checked with the client kind's (client_kinds.cpp).
  if (auto service = r.string(t, "service", true)) out.service = *service;
  if (auto port = r.integer(t, "port", 1, 65535, true))
    out.port = static_cast<std::uint16_t>(*port);
  read_headers(r, t, e, "[workload.http]", "", out.headers);

  const std::vector<std::string> needed = http_operations_of(workload_kind);
  std::vector<std::string> takes = needed;
  if (workload_kind == "register") takes.push_back(kHttpCasAbsent);
  for (const std::string& operation : kTemplateNames) {
    const toml::node* node = t.get(operation);
    const bool wanted = std::find(takes.begin(), takes.end(), operation) != takes.end();
    if (node == nullptr) {
      if (std::find(needed.begin(), needed.end(), operation) != needed.end())
        r.error(position_of(t.source()), "[workload.http] has no '" + operation +
                                             "' template, which the " + std::string(workload_kind) +
                                             " workload sends (it sends " + list(needed) +
                                             "): add [workload.http." + operation + "]");
      continue;
    }
    if (!wanted) {
      r.error(*node, "[workload.http." + operation + "]: the " + std::string(workload_kind) +
                         " workload sends no " + operation + " (it sends " + list(needed) + ")");
      continue;
    }
    const toml::table* table = node->as_table();
    if (table == nullptr) {
      r.error(*node,
              "'" + operation + "' must be a table, written [workload.http." + operation + "]");
      continue;
    }
    read_template(r, *table, e, operation, out.templates[operation]);
  }
}

}  // namespace faultline
