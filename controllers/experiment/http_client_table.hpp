#pragma once
// [workload.http]: the http client's table, read into an HttpClientSpec
// (http_template.hpp). Its keys are declared once, as KeySpecs, for the
// reader and the documentation alike. Every template is checked as it is
// read: a placeholder its operation lacks, a malformed JSON pointer, a status
// that is neither "404" nor "4xx", a key that belongs to another operation
// are each one error naming the key.
#include <string_view>
#include <vector>

#include "controllers/experiment/http_template.hpp"
#include "controllers/experiment/key_spec.hpp"
#include "controllers/experiment/toml_reader.hpp"

namespace faultline {

// The keys of [workload.http], each template table's keys among them.
const std::vector<KeySpec>& http_client_keys();
// The keys of one template table ([workload.http.read], ...).
const std::vector<KeySpec>& http_template_keys();

// The operations the workload `kind` sends ("kv": read, write; "register":
// read, write, cas; "set": add, read); the http client needs a template
// for each (cas_absent is optional).
std::vector<std::string> http_operations_of(std::string_view workload_kind);

// Reads `t` ({vars.NAME} filled in from `e`) into `out`, reporting through
// `r`. `workload_kind` says which templates are needed and allowed.
void read_http_client(Reader& r, const toml::table& t, const Experiment& e,
                      std::string_view workload_kind, HttpClientSpec& out);

}  // namespace faultline
