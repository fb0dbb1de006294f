// The http client's templates without a server: encodings, placeholders,
// the status map, and how an answer completes an operation (etcd's v3 JSON
// gateway and a Consul-like API as the examples).
#include "controllers/experiment/http_template.hpp"

#include <catch2/catch.hpp>

#include "controllers/history/operation_kinds.hpp"

using namespace faultline;
using json = nlohmann::json;

namespace {

HttpText text(const std::string& s) {
  std::string problem;
  auto t = parse_http_text(s, problem);
  INFO(problem);
  REQUIRE(t);
  return *t;
}

std::string problem_of(const std::string& s) {
  std::string problem;
  CHECK_FALSE(parse_http_text(s, problem));
  return problem;
}

Operation op(const char* f, json value) {
  return {.type = OpType::invoke,
          .process = 3,
          .f = f,
          .value = std::move(value),
          .region = "r1",
          .session = 3};
}

// etcd's v3 gateway: keys and values base64 in JSON, POST for everything.
HttpClientSpec etcd() {
  HttpClientSpec spec;
  spec.service = "etcd";
  spec.port = 2379;
  spec.headers = {{"Content-Type", text("application/json")}};
  HttpRequestTemplate read;
  read.method = "POST";
  read.path = text("/v3/kv/range");
  read.body = text(R"({"key": "{key:base64}"})");
  read.value = json::json_pointer("/kvs/0/value");
  read.value_encoding = HttpValueEncoding::base64;
  read.value_absent = HttpAbsent::empty;
  HttpRequestTemplate write;
  write.method = "POST";
  write.path = text("/v3/kv/put");
  write.body = text(R"({"key": "{key:base64}", "value": "{value:base64}"})");
  HttpRequestTemplate cas;
  cas.method = "POST";
  cas.path = text("/v3/kv/txn");
  cas.body = text(
      R"({"compare": [{"key": "{key:base64}", "target": "VALUE", "value": "{expected:base64}"}],)"
      R"( "success": [{"request_put": {"key": "{key:base64}", "value": "{value:base64}"}}]})");
  cas.applied = json::json_pointer("/succeeded");
  cas.applied_absent = HttpAbsent::fail;  // the gateway leaves false out
  HttpRequestTemplate cas_absent = cas;
  cas_absent.body =
      text(R"({"compare": [{"key": "{key:base64}", "target": "CREATE", "create_revision": "0"}],)"
           R"( "success": [{"request_put": {"key": "{key:base64}", "value": "{value:base64}"}}]})");
  spec.templates = {
      {kHttpRead, read}, {kHttpWrite, write}, {kHttpCas, cas}, {kHttpCasAbsent, cas_absent}};
  return spec;
}

}  // namespace

TEST_CASE("base64 is RFC 4648's, padded, and decoding refuses what is not") {
  const std::vector<std::pair<std::string, std::string>> vectors{{"", ""},
                                                                 {"f", "Zg=="},
                                                                 {"fo", "Zm8="},
                                                                 {"foo", "Zm9v"},
                                                                 {"foob", "Zm9vYg=="},
                                                                 {"fooba", "Zm9vYmE="},
                                                                 {"foobar", "Zm9vYmFy"},
                                                                 {"k0", "azA="},
                                                                 {"\xff\xfe", "//4="}};
  for (const auto& [plain, encoded] : vectors) {
    CHECK(base64_encode(plain) == encoded);
    CHECK(base64_decode(encoded) == plain);
  }
  for (const char* bad : {"Zg", "Zg=", "Z===", "Zm9v!A==", "Zg==Zg==", "Z=g="}) {
    INFO(bad);
    CHECK_FALSE(base64_decode(bad));
  }
  // Every length and byte value round-trips.
  std::string bytes;
  for (int i = 0; i < 300; ++i) {
    bytes += static_cast<char>((i * 37 + 11) & 0xff);
    REQUIRE(base64_decode(base64_encode(bytes)) == bytes);
  }
}

TEST_CASE("url encoding keeps RFC 3986's unreserved bytes only") {
  CHECK(url_encode("k0") == "k0");
  CHECK(url_encode("eu-west-1-c0/k3") == "eu-west-1-c0%2Fk3");
  CHECK(url_encode("a b~_.") == "a%20b~_.");
}

TEST_CASE("a template's text: placeholders among JSON's braces") {
  const HttpText body = text(R"({"key": "{key:base64}", "value": {value:json}, "in": "{region}"})");
  CHECK(body.uses(HttpField::key));
  CHECK(body.uses(HttpField::value));
  CHECK_FALSE(body.uses(HttpField::expected));
  HttpFields fields{.key = "k0", .value = json(3000001), .expected = std::nullopt, .region = "eu"};
  CHECK(render(body, fields) == R"({"key": "azA=", "value": 3000001, "in": "eu"})");
  CHECK(render(text("/kv/{key:url}?v={value}"), fields) == "/kv/k0?v=3000001");
  CHECK(render(text("{key:json}"), fields) == R"("k0")");
  CHECK(render(text("{{key}"), fields) == "{key}");
  CHECK(render(text("{ } {} {\"a\": 1} {1}"), fields) == "{ } {} {\"a\": 1} {1}");

  SECTION("a null expected value renders as nothing, or as JSON's null") {
    fields.expected = json(nullptr);
    CHECK(render(text("[{expected}]"), fields) == "[]");
    CHECK(render(text("{expected:json}"), fields) == "null");
  }
  SECTION("a field the operation lacks is a logic error, never an empty string") {
    CHECK_THROWS_AS(render(text("{expected}"), fields), std::logic_error);
  }
}

TEST_CASE("a template's text refuses unknown placeholders and encodings, naming them") {
  CHECK_THAT(problem_of("/kv/{keys}"),
             Catch::Contains("unknown placeholder '{keys}'") && Catch::Contains("{key:base64}"));
  CHECK_THAT(problem_of("{value:hex}"), Catch::Contains("unknown encoding 'hex' in '{value:hex}'"));
  CHECK_THAT(problem_of("/kv/{key"), Catch::Contains("never closes"));
  CHECK_THAT(problem_of("{vars.x}"), Catch::Contains("unknown placeholder '{vars.x}'"));
}

TEST_CASE("statuses map to outcomes: 2xx ok, 4xx fail, 5xx info, overridable") {
  HttpStatusMap map;
  CHECK(map.classify(200) == HttpOutcome::ok);
  CHECK(map.classify(204) == HttpOutcome::ok);
  CHECK(map.classify(404) == HttpOutcome::fail);
  CHECK(map.classify(409) == HttpOutcome::fail);
  CHECK(map.classify(500) == HttpOutcome::info);
  CHECK(map.classify(503) == HttpOutcome::info);
  CHECK(map.classify(301) == HttpOutcome::info);  // not followed: unknown
  CHECK(map.classify(100) == HttpOutcome::info);

  REQUIRE(map.set("503", HttpOutcome::fail));
  REQUIRE(map.set("3xx", HttpOutcome::fail));
  REQUIRE(map.set("409", HttpOutcome::info));
  CHECK(map.classify(503) == HttpOutcome::fail);  // its own entry over its class
  CHECK(map.classify(500) == HttpOutcome::info);
  CHECK(map.classify(302) == HttpOutcome::fail);
  CHECK(map.classify(409) == HttpOutcome::info);
  CHECK(map.classify(404) == HttpOutcome::fail);

  for (const char* bad : {"4x", "4xxx", "x04", "600", "0xx", "40x", "abc", ""}) {
    INFO(bad);
    CHECK_FALSE(map.set(bad, HttpOutcome::ok));
  }
}

TEST_CASE("requests: each operation's template, filled in") {
  const HttpClientSpec spec = etcd();
  SECTION("a write") {
    const HttpRequest r = http_request(spec, op(kWriteF, json::array({"k0", 123})));
    CHECK(r.method == "POST");
    CHECK(r.target == "/v3/kv/put");
    CHECK(r.body == R"({"key": "azA=", "value": "MTIz"})");
    REQUIRE(r.headers.size() == 1);
    CHECK(r.headers[0] == std::pair<std::string, std::string>{"Content-Type", "application/json"});
  }
  SECTION("reads and final reads go through the read template") {
    for (const char* f : {kReadF, kFinalReadF}) {
      const HttpRequest r = http_request(spec, op(f, json::array({"k1", nullptr})));
      CHECK(r.target == "/v3/kv/range");
      CHECK(r.body == R"({"key": "azE="})");
    }
  }
  SECTION("a cas compares the expected value; from an empty key, absence") {
    const HttpRequest from_value =
        http_request(spec, op(kCasF, json::array({"k0", json::array({123, 456})})));
    CHECK_THAT(from_value.body, Catch::Contains(R"("target": "VALUE", "value": "MTIz")") &&
                                    Catch::Contains(R"("value": "NDU2")"));
    const HttpRequest from_empty =
        http_request(spec, op(kCasF, json::array({"k0", json::array({nullptr, 456})})));
    CHECK_THAT(from_empty.body,
               Catch::Contains(R"("target": "CREATE")") && Catch::Contains(R"("value": "NDU2")"));
  }
  SECTION("without cas_absent, a cas from an empty key uses cas with a null expected value") {
    HttpClientSpec plain = spec;
    plain.templates.erase(kHttpCasAbsent);
    const HttpRequest r =
        http_request(plain, op(kCasF, json::array({"k0", json::array({nullptr, 456})})));
    CHECK_THAT(r.body, Catch::Contains(R"("target": "VALUE", "value": "")"));
  }
  SECTION("a template's header replaces the client's of the same name") {
    HttpClientSpec s = spec;
    s.templates[kHttpWrite].headers = {{"Content-Type", text("text/plain")},
                                       {"X-Key", text("{key}")}};
    const HttpRequest r = http_request(s, op(kWriteF, json::array({"k0", 1})));
    REQUIRE(r.headers.size() == 2);
    CHECK(r.headers[0].second == "text/plain");
    CHECK(r.headers[1] == std::pair<std::string, std::string>{"X-Key", "k0"});
  }
  SECTION("an operation without a template is refused") {
    CHECK_THROWS_AS(http_request(spec, op("add", json::array({"k0", 1}))), std::invalid_argument);
  }
}

TEST_CASE("a read's value comes from the answer by JSON pointer, decoded") {
  const HttpClientSpec spec = etcd();
  const Operation read = op(kReadF, json::array({"k0", nullptr}));
  const HttpRequestTemplate& t = *spec.find(kHttpRead);
  const std::string header = R"("header": {"revision": "7"})";

  SECTION("a value present") {
    const Operation done = http_completion(
        t, read, 200, "{" + header + R"(, "kvs": [{"key": "azA=", "value": "MTIz"}]})");
    CHECK(done.type == OpType::ok);
    CHECK(done.value == json::array({"k0", 123}));
  }
  SECTION("no kvs: the template says that is an empty key") {
    const Operation done = http_completion(t, read, 200, "{" + header + "}");
    CHECK(done.type == OpType::ok);
    CHECK(done.value == json::array({"k0", nullptr}));
  }
  SECTION("no kvs, and the template does not say what that means: fail, never an ok null") {
    HttpRequestTemplate strict = t;
    strict.value_absent = HttpAbsent::fail;
    const Operation done = http_completion(strict, read, 200, "{" + header + "}");
    CHECK(done.type == OpType::fail);
    CHECK_THAT(done.error,
               Catch::Contains("no /kvs/0/value") && Catch::Contains("value_absent = \"empty\""));
  }
  SECTION(
      "a wrong pointer with value_absent = empty reads empty: the checkers then see lost writes") {
    HttpRequestTemplate wrong = t;
    wrong.value = json::json_pointer("/kvs/0/val");
    const Operation done = http_completion(wrong, read, 200, R"({"kvs": [{"value": "MTIz"}]})");
    CHECK(done.type == OpType::ok);
    CHECK(done.value[1].is_null());
  }
  SECTION("a value that does not decode fails the read") {
    const Operation done = http_completion(t, read, 200, R"({"kvs": [{"value": "not base64!"}]})");
    CHECK(done.type == OpType::fail);
    CHECK_THAT(done.error, Catch::Contains("cannot decode"));
  }
  SECTION("a value that is no integer is kept as its text: a phantom for no-lost-writes") {
    const Operation done = http_completion(
        t, read, 200, R"({"kvs": [{"value": ")" + base64_encode("hello") + R"("}]})");
    CHECK(done.type == OpType::ok);
    CHECK(done.value[1] == "hello");
  }
  SECTION("an answer that is not JSON fails, even where absence would read empty") {
    const Operation done = http_completion(t, read, 200, "<html>proxy</html>");
    CHECK(done.type == OpType::fail);
    CHECK_THAT(done.error, Catch::Contains("not JSON"));
  }
  SECTION("statuses: a 5xx read fails (a read has no effect), a 4xx read fails") {
    CHECK(http_completion(t, read, 503, "").type == OpType::fail);
    const Operation refused = http_completion(t, read, 400, R"({"error": "bad key"})");
    CHECK(refused.type == OpType::fail);
    CHECK_THAT(refused.error, Catch::Contains("http 400") && Catch::Contains("bad key"));
  }
}

TEST_CASE("a Consul-like read: 404 is the empty key, the value a raw or JSON body") {
  HttpRequestTemplate t;
  t.path = text("/v1/kv/{key}?raw");
  t.value = json::json_pointer("");
  t.empty_status = {404};
  const Operation read = op(kFinalReadF, json::array({"k2", nullptr}));
  const Operation empty = http_completion(t, read, 404, "");
  CHECK(empty.type == OpType::ok);
  CHECK(empty.value[1].is_null());
  const Operation raw = http_completion(t, read, 200, "4000007");
  CHECK(raw.type == OpType::ok);
  CHECK(raw.value[1] == 4000007);
  const Operation text_body = http_completion(t, read, 200, "abc");
  CHECK(text_body.value[1] == "abc");

  SECTION("without empty_status a 404 is a failed read") {
    t.empty_status.clear();
    CHECK(http_completion(t, read, 404, "").type == OpType::fail);
  }
  SECTION("a JSON value in a string, and an explicit null") {
    t.value = json::json_pointer("/Value");
    CHECK(http_completion(t, read, 200, R"({"Value": "12"})").value[1] == 12);
    const Operation null_read = http_completion(t, read, 200, R"({"Value": null})");
    CHECK(null_read.type == OpType::ok);
    CHECK(null_read.value[1].is_null());
  }
}

TEST_CASE("writes and cas: the status, and for cas whether it applied") {
  const HttpClientSpec spec = etcd();
  const Operation write = op(kWriteF, json::array({"k0", 5}));
  const HttpRequestTemplate& w = *spec.find(kHttpWrite);
  CHECK(http_completion(w, write, 200, "{}").type == OpType::ok);
  CHECK(http_completion(w, write, 200, "not json, not read").type == OpType::ok);
  CHECK(http_completion(w, write, 400, "").type == OpType::fail);
  const Operation unknown = http_completion(w, write, 503, "etcdserver: request timed out");
  CHECK(unknown.type == OpType::info);
  CHECK_THAT(unknown.error, Catch::Contains("http 503: etcdserver"));

  const Operation cas = op(kCasF, json::array({"k0", json::array({5, 6})}));
  const HttpRequestTemplate& c = *spec.find(kHttpCas);
  CHECK(http_completion(c, cas, 200, R"({"succeeded": true})").type == OpType::ok);
  const Operation refused = http_completion(c, cas, 200, R"({"succeeded": false})");
  CHECK(refused.type == OpType::fail);
  CHECK_THAT(refused.error, Catch::Contains("did not apply"));
  // etcd's gateway leaves a false out; this template says absence is false.
  CHECK(http_completion(c, cas, 200, R"({"header": {}})").type == OpType::fail);
  CHECK(http_completion(c, cas, 200, R"({"succeeded": "yes"})").type == OpType::info);
  CHECK(http_completion(c, cas, 200, "garbage").type == OpType::info);

  SECTION("by default a cas whose answer does not say it applied is unknown") {
    HttpRequestTemplate unsure = c;
    unsure.applied_absent = HttpAbsent::info;
    CHECK(http_completion(unsure, cas, 200, R"({"header": {}})").type == OpType::info);
  }
  SECTION("a precondition status as fail") {
    HttpRequestTemplate status_cas = c;
    status_cas.applied.reset();
    REQUIRE(status_cas.status.set("412", HttpOutcome::fail));
    CHECK(http_completion(status_cas, cas, 412, "").type == OpType::fail);
    CHECK(http_completion(status_cas, cas, 204, "").type == OpType::ok);
  }
}

TEST_CASE("a set's read is an array of elements, each decoded; absence is the empty set") {
  HttpRequestTemplate t;
  t.value = json::json_pointer("/members");
  t.value_absent = HttpAbsent::empty;
  const Operation read = op(kReadF, json::array({"s0", nullptr}));
  const Operation done = http_completion(t, read, 200, R"({"members": [1, "2", 3]})", true);
  CHECK(done.type == OpType::ok);
  CHECK(done.value[1] == json::array({1, 2, 3}));
  CHECK(http_completion(t, read, 200, "{}", true).value[1] == json::array());
  CHECK(http_completion(t, read, 200, R"({"members": 4})", true).type == OpType::fail);
}
