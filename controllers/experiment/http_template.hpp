#pragma once
// The http client's request templates, as values: what [workload.http] says
// to send for each operation and how to read the answer, with no I/O, so
// validation refuses a bad template before the run and tests drive every
// rule without a server (the client that sends them is
// controllers/workload/http_client.hpp).
//
// A template's text (path, header, body) is literal except for placeholders:
//   {key} {value} {expected} {region}, each optionally with an encoding:
//   {key:base64}  {value:json}  {key:url}
// A '{' that is not followed by a lowercase letter is literal (JSON bodies
// are full of them), and "{{" is a literal '{'.
//
// An answer completes the operation: its status is ok, fail or info by the
// template's status map (by default 2xx ok, 4xx fail, 5xx info); an ok read
// takes its value from the answer by JSON pointer, and says in so many words
// what an empty key looks like. An answer the template cannot read is never
// a silent ok: a read without its value fails, a cas that does not say it
// applied is info.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "controllers/history/history.hpp"
#include "controllers/history/operation_kinds.hpp"

namespace faultline {

// --- Encodings ---------------------------------------------------------------
// RFC 4648 section 4, with padding (what etcd's and Consul's JSON carry).
std::string base64_encode(std::string_view bytes);
// Padding required, no whitespace; nullopt for anything else.
std::optional<std::string> base64_decode(std::string_view text);
// RFC 3986: every byte but the unreserved ones as %XX.
std::string url_encode(std::string_view bytes);

// --- Template text -----------------------------------------------------------
enum class HttpField { key, value, expected, region };
enum class HttpEncoding { raw, base64, json, url };

struct HttpTextPart {
  std::string literal;             // when field is empty
  std::optional<HttpField> field;  // a placeholder
  HttpEncoding encoding = HttpEncoding::raw;
};

struct HttpText {
  std::string source;  // as written, for messages and the dry run
  std::vector<HttpTextPart> parts;
  bool uses(HttpField field) const;
  bool empty() const { return source.empty(); }
};

// `text` split into literals and placeholders, or nullopt with `problem`
// saying which placeholder is wrong and what the right ones are.
std::optional<HttpText> parse_http_text(const std::string& text, std::string& problem);

// What the placeholders stand for in one operation. A field the operation
// does not have is unset; a null `expected` (a cas from an empty key) is set
// to null and renders as nothing ({expected:json}: null).
struct HttpFields {
  std::string key;
  std::optional<nlohmann::json> value;
  std::optional<nlohmann::json> expected;
  std::string region;
};

// Throws std::logic_error for a field `fields` lacks: validation has made
// sure a template only names fields its operation has.
std::string render(const HttpText& text, const HttpFields& fields);

// --- Status mapping ----------------------------------------------------------
enum class HttpOutcome { ok, fail, info };

// Statuses ("404") and classes ("4xx") to outcomes. A status's own entry
// wins over its class's; a status neither names (1xx, 3xx) is info.
class HttpStatusMap {
 public:
  HttpStatusMap();  // 2xx ok, 4xx fail, 5xx info
  // Adds "404" or "4xx" with its outcome (over the default); false if
  // `entry` is neither.
  bool set(const std::string& entry, HttpOutcome outcome);
  HttpOutcome classify(unsigned status) const;

 private:
  std::map<unsigned, HttpOutcome> statuses_;
  std::map<unsigned, HttpOutcome> classes_;  // 4 for "4xx"
};

// --- One operation's template ------------------------------------------------
// What the absence of a JSON pointer from a successful answer means.
enum class HttpAbsent {
  fail,   // the answer is not one the template can read: the operation fails
  empty,  // value: the key holds nothing (an ok read of null, or [] for a set)
  info,   // applied: unknown whether the cas applied
};

enum class HttpValueEncoding { json, base64 };

struct HttpRequestTemplate {
  std::string method = "GET";  // upper case: GET, PUT, POST, DELETE, PATCH
  HttpText path;
  std::vector<std::pair<std::string, HttpText>> headers;  // name, value
  HttpText body;
  // Reads: where the value is, how it is written, what its absence means,
  // and the statuses that say the key holds nothing.
  std::optional<nlohmann::json::json_pointer> value;
  HttpValueEncoding value_encoding = HttpValueEncoding::json;
  HttpAbsent value_absent = HttpAbsent::fail;
  std::vector<unsigned> empty_status;
  // cas: a boolean in a successful answer saying whether it applied (false:
  // fail), and what its absence means.
  std::optional<nlohmann::json::json_pointer> applied;
  HttpAbsent applied_absent = HttpAbsent::info;
  HttpStatusMap status;
};

// The operations a template can be given for, as named in [workload.http]:
// "read", "write", "cas", "cas_absent" (a cas expecting the key to hold
// nothing: APIs compare absence apart from a value), "add".
// Each is named as the operation it sends (operation_kinds.hpp).
inline constexpr const char* kHttpRead = kReadF;
inline constexpr const char* kHttpWrite = kWriteF;
inline constexpr const char* kHttpCas = kCasF;
inline constexpr const char* kHttpCasAbsent = "cas_absent";
inline constexpr const char* kHttpAdd = kAddF;

// The fields a template for `operation` may name.
std::vector<HttpField> http_fields_of(std::string_view operation);
const char* http_field_name(HttpField field);

// The templates of the workload's operations, and what every request carries.
struct HttpClientSpec {
  std::string service;  // clients talk to this service in their own region
  std::uint16_t port = 0;
  std::vector<std::pair<std::string, HttpText>> headers;  // on every request
  std::map<std::string, HttpRequestTemplate> templates;   // by operation name
  const HttpRequestTemplate* find(std::string_view operation) const;
};

// A request ready to send.
struct HttpRequest {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// The template of `op` (read and final-read use "read"; a cas expecting
// null uses "cas_absent" when there is one), filled in. Throws
// std::invalid_argument for an operation the spec has no template for.
HttpRequest http_request(const HttpClientSpec& spec, const Operation& op);
const HttpRequestTemplate& http_template_of(const HttpClientSpec& spec, const Operation& op);

// `op` completed by an answer with `status` and `body`, by `t`'s rules.
// `set_read`: the read is of a set, whose value is an array of elements.
Operation http_completion(const HttpRequestTemplate& t, Operation op, unsigned status,
                          const std::string& body, bool set_read = false);

// A value as an API returns it: an integer (or the decimal text of one), or
// the text itself for anything else (a value no write produced: a phantom,
// for the checkers to see). nullopt when it cannot be decoded.
std::optional<nlohmann::json> http_decode_value(const nlohmann::json& at,
                                                HttpValueEncoding encoding);

}  // namespace faultline
