// [workload.http] as the parser reads it: the etcd example whole, and each
// bad template refused with one line naming the file, the key and the fix.
#include "controllers/experiment/http_client_table.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "controllers/experiment/parse.hpp"
#include "controllers/history/operation_kinds.hpp"

using namespace faultline;
using json = nlohmann::json;

namespace {

std::optional<std::string> any_program(const std::string& program, const std::string&) {
  return "/usr/bin/" + program;
}

const char* kHead = R"([experiment]
name = "h"
duration = "5s"

[[region]]
name = "us-east-1"
geo = "us"

[[service]]
name = "api"
host = "app"
command = ["api"]

[workload]
kind = "register"
client = "http"

[workload.http]
service = "api"
port = 8500
)";

const char* kTemplates = R"(
[workload.http.read]
path = "/v1/kv/{key:url}?raw"
value = ""
empty_status = 404

[workload.http.write]
method = "PUT"
path = "/v1/kv/{key:url}"
body = "{value}"

[workload.http.cas]
method = "PUT"
path = "/v1/kv/{key:url}?cas={expected}"
body = "{value}"
applied = ""
)";

std::vector<std::string> errors_of(const std::string& text) {
  std::vector<std::string> out;
  try {
    parse_experiment(text, "x.toml", any_program);
  } catch (const ExperimentError& e) {
    for (const auto& d : e.diagnostics()) out.push_back(d.to_string());
  }
  return out;
}

// The one error of kHead + kTemplates with `from` replaced by `to`.
std::string error_with(const std::string& from, const std::string& to) {
  std::string text = std::string(kHead) + kTemplates;
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
  const auto errors = errors_of(text);
  INFO(text);
  REQUIRE(errors.size() == 1);
  return errors[0];
}

}  // namespace

TEST_CASE("[workload.http]: the etcd example reads whole", "[http][parse]") {
  const Experiment e = load_experiment(
      std::string(FAULTLINE_SOURCE_DIR) + "/experiments/etcd-http-register.toml", any_program);
  const HttpClientSpec& http = e.workload.http;
  CHECK(http.service == "etcd");
  CHECK(http.port == 2379);
  REQUIRE(http.templates.size() == 4);
  const HttpRequestTemplate& read = *http.find(kHttpRead);
  CHECK(read.method == "POST");
  CHECK(read.value->to_string() == "/kvs/0/value");  // {vars.read_value} filled in
  CHECK(read.value_encoding == HttpValueEncoding::base64);
  CHECK(read.value_absent == HttpAbsent::empty);
  CHECK(http.find(kHttpCas)->applied_absent == HttpAbsent::fail);
  const HttpRequest cas =
      http_request(http, {.f = kCasF, .value = json::array({"k0", json::array({1, 2})})});
  CHECK(json::parse(cas.body)["compare"][0]["value"] == "MQ==");
  const HttpRequest create =
      http_request(http, {.f = kCasF, .value = json::array({"k0", json::array({nullptr, 2})})});
  CHECK(json::parse(create.body)["compare"][0]["target"] == "CREATE");

  SECTION("--var read_value overrides the pointer") {
    const Experiment wrong =
        load_experiment(std::string(FAULTLINE_SOURCE_DIR) + "/experiments/etcd-http-register.toml",
                        any_program, {{"read_value", "/kvs/0/val"}});
    CHECK(wrong.workload.http.find(kHttpRead)->value->to_string() == "/kvs/0/val");
  }
}

TEST_CASE("[workload.http]: a Consul-like API's templates read", "[http][parse]") {
  CHECK(errors_of(std::string(kHead) + kTemplates).empty());
}

TEST_CASE("[workload.http]: bad templates are refused, one line each, naming the key",
          "[http][parse]") {
  CHECK(error_with("/v1/kv/{key:url}?raw", "/v1/kv/{keys}") ==
        "x.toml:23:8: [workload.http.read] 'path': unknown placeholder '{keys}'; the placeholders "
        "are {key}, {value}, {expected} and {region}, each optionally with an encoding: "
        "{key:base64}, {value:json}, {key:url}");
  CHECK_THAT(
      error_with("body = \"{value}\"\n\n[workload.http.cas]",
                 "body = \"{value:hex}\"\n\n[workload.http.cas]"),
      Catch::StartsWith("x.toml:30:8: [workload.http.write] 'body': unknown encoding 'hex'"));
  CHECK(error_with("?raw\"", "?v={value}\"") ==
        "x.toml:23:8: [workload.http.read] 'path': {value} has no value in a read (it has {key}, "
        "{region})");
  CHECK_THAT(error_with("body = \"{value}\"\n\n[workload.http.cas]",
                        "body = \"{expected}\"\n\n[workload.http.cas]"),
             Catch::Contains("[workload.http.write] 'body': {expected} has no value in a write"));
  CHECK_THAT(
      error_with("value = \"\"", "value = \"kvs/0\""),
      Catch::StartsWith("x.toml:24:9: [workload.http.read] 'value' = \"kvs/0\" is not a JSON "
                        "pointer (RFC 6901)"));
  CHECK_THAT(error_with("applied = \"\"", "applied = \"/a~2\""),
             Catch::Contains("[workload.http.cas] 'applied' = \"/a~2\" is not a JSON pointer"));
  CHECK_THAT(error_with("path = \"/v1/kv/{key:url}?raw\"", "path = \"v1/kv/{key}\""),
             Catch::Contains("[workload.http.read] 'path' must start with '/'"));
  CHECK_THAT(error_with("value = \"\"\n", ""),
             Catch::Contains("[workload.http.read] needs 'value', the JSON pointer"));
  CHECK_THAT(
      error_with("method = \"PUT\"\npath = \"/v1/kv/{key:url}\"\n",
                 "method = \"put\"\npath = \"/v1/kv/{key:url}\"\n"),
      Catch::Contains("'method' = \"put\"; the methods are GET, PUT, POST, DELETE and PATCH"));
  CHECK_THAT(error_with("empty_status = 404", "fail = [\"4x\"]"),
             Catch::Contains("[workload.http.read] 'fail': '4x' is not a status; write a status "
                             "(\"404\") or a class (\"4xx\")"));
  CHECK_THAT(
      error_with("empty_status = 404", "empty_status = 404\nok = [\"409\"]\ninfo = [\"409\"]"),
      Catch::Contains("status '409' is in both 'ok' and 'info'"));
  CHECK_THAT(error_with("applied = \"\"", "applied = \"\"\nvalue = \"/v\""),
             Catch::Contains("[workload.http.cas] 'value' is for the read template"));
  CHECK_THAT(error_with("empty_status = 404", "applied = \"/ok\""),
             Catch::Contains("[workload.http.read] 'applied' is for the cas templates"));
  CHECK_THAT(error_with("empty_status = 404", "value_absent = \"null\""),
             Catch::Contains("value_absent 'null'") && Catch::Contains("one of: fail, empty"));
  CHECK_THAT(
      error_with("empty_status = 404", "emtpy_status = 404"),
      Catch::Contains(
          "unknown key 'emtpy_status' in [workload.http.read]; did you mean 'empty_status'?"));
  CHECK_THAT(error_with("port = 8500\n", "port = 8500\nheaders = [\"X-Key {key}\"]\n"),
             Catch::Contains("[workload.http] 'headers': 'X-Key {key}' is not a header"));
  CHECK_THAT(error_with("port = 8500\n", "port = 8500\nheaders = [\"X-V: {value}\"]\n"),
             Catch::Contains("{value} has no value in every request"));
  CHECK_THAT(error_with("value = \"\"", "value = \"{vars.nope}\""),
             Catch::Contains("unknown variable '{vars.nope}' in [workload.http.read] 'value'"));
  CHECK_THAT(
      error_with("applied = \"\"\n", "applied_absent = \"fail\"\n"),
      Catch::Contains("'applied_absent' says what a missing 'applied' means: give 'applied' too"));
}

TEST_CASE("[workload.http]: the workload's operations need templates, and only those",
          "[http][parse]") {
  const std::string head = kHead;
  std::string no_cas = head + kTemplates;
  no_cas = no_cas.substr(0, no_cas.find("[workload.http.cas]"));
  CHECK(errors_of(no_cas) ==
        std::vector<std::string>{
            "x.toml:18:1: [workload.http] has no 'cas' template, which the register workload sends "
            "(it sends 'read', 'write' and 'cas'): add [workload.http.cas]"});
  CHECK_THAT(error_with("[workload.http.cas]",
                        "[workload.http.add]\npath = \"/a\"\n\n[workload.http.cas]"),
             Catch::Contains("[workload.http.add]: the register workload sends no add"));
  CHECK_THAT(error_with("service = \"api\"", "service = \"nope\""),
             Catch::Contains("'nope'") && Catch::Contains("service"));
  std::string kv = head + kTemplates;
  kv.replace(kv.find("kind = \"register\""), 17, "kind = \"kv\"");
  CHECK_THAT(errors_of(kv).at(0),
             Catch::Contains("[workload.http.cas]: the kv workload sends no cas"));
}

TEST_CASE("[workload.http]: every key is documented in docs/clients.md", "[http][docs]") {
  std::ifstream in(std::string(FAULTLINE_SOURCE_DIR) + "/docs/clients.md");
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  REQUIRE_FALSE(doc.empty());
  for (const auto* keys : {&http_client_keys(), &http_template_keys()})
    for (const KeySpec& key : *keys) {
      INFO(key.name);
      CHECK(doc.find("| `" + key.name + "` | " + key_type_name(key.type)) != std::string::npos);
    }
}
