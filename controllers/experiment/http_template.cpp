#include "controllers/experiment/http_template.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <stdexcept>

#include "controllers/history/operation_kinds.hpp"

namespace faultline {

namespace {

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::pair<std::string_view, HttpField>, 4> kFields{{
    {"key", HttpField::key},
    {"value", HttpField::value},
    {"expected", HttpField::expected},
    {"region", HttpField::region},
}};
constexpr std::array<std::pair<std::string_view, HttpEncoding>, 3> kEncodings{{
    {"base64", HttpEncoding::base64},
    {"json", HttpEncoding::json},
    {"url", HttpEncoding::url},
}};

bool is_lower(char c) { return c >= 'a' && c <= 'z'; }

// A field's text before encoding: a key as it is, a value as its decimal
// (what the unique write values are), null as nothing.
std::string raw_text(const nlohmann::json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

std::string encode(const nlohmann::json& v, HttpEncoding encoding) {
  switch (encoding) {
    case HttpEncoding::raw:
      return raw_text(v);
    case HttpEncoding::base64:
      return base64_encode(raw_text(v));
    case HttpEncoding::url:
      return url_encode(raw_text(v));
    case HttpEncoding::json:
      return v.dump();
  }
  return raw_text(v);
}

bool is_cas_from_empty(const Operation& op) {
  return op.f == kCasF && op.value.is_array() && op.value.size() == 2 &&
         op.value.at(1).is_array() && op.value.at(1).size() == 2 && op.value.at(1).at(0).is_null();
}

// What `pointer` names in `doc`, or null when it names nothing: an absent
// member, an index past the end ("/kvs/0" of an empty array), a member of
// something that is not an object.
const nlohmann::json* find_pointer(const nlohmann::json& doc,
                                   const nlohmann::json::json_pointer& pointer) {
  try {
    if (!doc.contains(pointer)) return nullptr;
    return &doc.at(pointer);
  } catch (const nlohmann::json::exception&) {
    return nullptr;  // "/kvs/x" into an array: not there
  }
}

}  // namespace

// --- Encodings ---------------------------------------------------------------

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned n = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += kBase64Alphabet[(n >> shift) & 63];
  }
  if (const std::size_t rest = bytes.size() - i; rest > 0) {
    unsigned n = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2) n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kBase64Alphabet[(n >> 18) & 63];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += rest == 2 ? kBase64Alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    unsigned n = 0;
    int pad = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      if (c == '=') {
        // Padding only at the very end, in the last two places.
        if (i + 4 != text.size() || j < 2) return std::nullopt;
        ++pad;
        n <<= 6;
        continue;
      }
      if (pad > 0) return std::nullopt;
      const auto at = kBase64Alphabet.find(c);
      if (at == std::string_view::npos) return std::nullopt;
      n = (n << 6) | static_cast<unsigned>(at);
    }
    out += static_cast<char>((n >> 16) & 0xff);
    if (pad < 2) out += static_cast<char>((n >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(n & 0xff);
  }
  return out;
}

std::string url_encode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u == '-' ||
        u == '.' || u == '_' || u == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

// --- Template text -----------------------------------------------------------

const char* http_field_name(HttpField field) {
  for (const auto& [name, f] : kFields)
    if (f == field) return name.data();
  return "?";
}

bool HttpText::uses(HttpField field) const {
  return std::any_of(parts.begin(), parts.end(),
                     [&](const HttpTextPart& p) { return p.field == field; });
}

std::optional<HttpText> parse_http_text(const std::string& text, std::string& problem) {
  HttpText out;
  out.source = text;
  std::string literal;
  auto flush = [&] {
    if (!literal.empty()) out.parts.push_back({std::move(literal), std::nullopt, {}});
    literal.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '{' && i + 1 < text.size() && text[i + 1] == '{') {
      literal += '{';
      ++i;
      continue;
    }
    if (c != '{' || i + 1 >= text.size() || !is_lower(text[i + 1])) {
      literal += c;
      continue;
    }
    const std::size_t close = text.find('}', i);
    if (close == std::string::npos) {
      problem = "'" + text.substr(i) +
                "' opens a placeholder and never closes it ('{{' is a literal '{')";
      return std::nullopt;
    }
    const std::string inside = text.substr(i + 1, close - i - 1);
    const std::size_t colon = inside.find(':');
    const std::string name = inside.substr(0, colon);
    HttpTextPart part;
    for (const auto& [n, f] : kFields)
      if (n == name) part.field = f;
    if (!part.field) {
      problem = "unknown placeholder '{" + inside +
                "}'; the placeholders are {key}, {value}, {expected} and {region}, each "
                "optionally with an encoding: {key:base64}, {value:json}, {key:url}";
      return std::nullopt;
    }
    if (colon != std::string::npos) {
      const std::string encoding = inside.substr(colon + 1);
      bool known = false;
      for (const auto& [n, e] : kEncodings)
        if (n == encoding) part.encoding = e, known = true;
      if (!known) {
        problem = "unknown encoding '" + encoding + "' in '{" + inside +
                  "}'; the encodings are base64, json and url";
        return std::nullopt;
      }
    }
    flush();
    out.parts.push_back(std::move(part));
    i = close;
  }
  flush();
  return out;
}

std::string render(const HttpText& text, const HttpFields& fields) {
  std::string out;
  for (const auto& part : text.parts) {
    if (!part.field) {
      out += part.literal;
      continue;
    }
    switch (*part.field) {
      case HttpField::key:
        out += encode(fields.key, part.encoding);
        break;
      case HttpField::region:
        out += encode(fields.region, part.encoding);
        break;
      case HttpField::value:
      case HttpField::expected: {
        const auto& v = *part.field == HttpField::value ? fields.value : fields.expected;
        if (!v)
          throw std::logic_error(std::string("the template names {") +
                                 http_field_name(*part.field) + "}, which this operation lacks");
        out += encode(*v, part.encoding);
        break;
      }
    }
  }
  return out;
}

// --- Status mapping ----------------------------------------------------------

HttpStatusMap::HttpStatusMap() {
  classes_[2] = HttpOutcome::ok;
  classes_[4] = HttpOutcome::fail;
  classes_[5] = HttpOutcome::info;
}

bool HttpStatusMap::set(const std::string& entry, HttpOutcome outcome) {
  if (entry.size() != 3 || entry[0] < '1' || entry[0] > '5') return false;
  const unsigned cls = static_cast<unsigned>(entry[0] - '0');
  if (entry[1] == 'x' && entry[2] == 'x') {
    classes_[cls] = outcome;
    return true;
  }
  unsigned status = 0;
  const auto [end, ec] = std::from_chars(entry.data(), entry.data() + entry.size(), status);
  if (ec != std::errc() || end != entry.data() + entry.size()) return false;
  statuses_[status] = outcome;
  return true;
}

HttpOutcome HttpStatusMap::classify(unsigned status) const {
  if (auto it = statuses_.find(status); it != statuses_.end()) return it->second;
  if (auto it = classes_.find(status / 100); it != classes_.end()) return it->second;
  return HttpOutcome::info;
}

// --- Operations --------------------------------------------------------------

std::vector<HttpField> http_fields_of(std::string_view operation) {
  if (operation == kHttpRead) return {HttpField::key, HttpField::region};
  if (operation == kHttpCas)
    return {HttpField::key, HttpField::value, HttpField::expected, HttpField::region};
  // write, add, cas_absent: a key and what is written to it.
  return {HttpField::key, HttpField::value, HttpField::region};
}

const HttpRequestTemplate* HttpClientSpec::find(std::string_view operation) const {
  auto it = templates.find(std::string(operation));
  return it == templates.end() ? nullptr : &it->second;
}

const HttpRequestTemplate& http_template_of(const HttpClientSpec& spec, const Operation& op) {
  const HttpRequestTemplate* t = nullptr;
  if (is_key_read(op.f))
    t = spec.find(kHttpRead);
  else if (op.f == kCasF)
    t = is_cas_from_empty(op) && spec.find(kHttpCasAbsent) != nullptr ? spec.find(kHttpCasAbsent)
                                                                      : spec.find(kHttpCas);
  else if (op.f == kWriteF || op.f == kAddF)
    t = spec.find(op.f);
  if (t == nullptr)
    throw std::invalid_argument("the http client has no template for operation '" + op.f + "'");
  return *t;
}

HttpRequest http_request(const HttpClientSpec& spec, const Operation& op) {
  const HttpRequestTemplate& t = http_template_of(spec, op);
  HttpFields fields;
  fields.key = op.value.at(0).get<std::string>();
  fields.region = op.region;
  if (op.f == kCasF) {
    fields.expected = op.value.at(1).at(0);
    fields.value = op.value.at(1).at(1);
  } else if (!is_key_read(op.f)) {
    fields.value = op.value.at(1);
  }
  HttpRequest request;
  request.method = t.method;
  request.target = render(t.path, fields);
  // The template's own headers over the client's, by name.
  for (const auto& header : spec.headers)
    if (std::none_of(t.headers.begin(), t.headers.end(),
                     [&](const auto& own) { return own.first == header.first; }))
      request.headers.emplace_back(header.first, render(header.second, fields));
  for (const auto& [name, value] : t.headers)
    request.headers.emplace_back(name, render(value, fields));
  request.body = render(t.body, fields);
  return request;
}

std::optional<nlohmann::json> http_decode_value(const nlohmann::json& at,
                                                HttpValueEncoding encoding) {
  if (at.is_null()) return at;
  std::string text;
  if (encoding == HttpValueEncoding::base64) {
    if (!at.is_string()) return std::nullopt;
    auto decoded = base64_decode(at.get<std::string>());
    if (!decoded) return std::nullopt;
    text = std::move(*decoded);
  } else if (at.is_number_integer()) {
    return at;
  } else if (at.is_string()) {
    text = at.get<std::string>();
  } else {
    return at;  // a number with a fraction, an object: what it is, a phantom
  }
  std::int64_t number = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec == std::errc() && end == text.data() + text.size() && !text.empty()) return number;
  return text;
}

Operation http_completion(const HttpRequestTemplate& t, Operation done, unsigned status,
                          const std::string& body, bool set_read) {
  const bool is_read = is_key_read(done.f);
  const auto http_error = [&] {
    std::string error = "http " + std::to_string(status);
    std::string excerpt = body.substr(0, 200);
    std::replace(excerpt.begin(), excerpt.end(), '\n', ' ');
    return excerpt.empty() ? error : error + ": " + excerpt;
  };
  const nlohmann::json empty_value = set_read ? nlohmann::json::array() : nlohmann::json();
  if (is_read &&
      std::find(t.empty_status.begin(), t.empty_status.end(), status) != t.empty_status.end()) {
    done.type = OpType::ok;
    done.value[1] = empty_value;
    return done;
  }
  const HttpOutcome outcome = t.status.classify(status);
  if (outcome != HttpOutcome::ok) {
    // A read has no effect, so an unsuccessful read is a plain failure.
    done.type = outcome == HttpOutcome::info && !is_read ? OpType::info : OpType::fail;
    done.error = http_error();
    return done;
  }
  const bool wants_document = (is_read && t.value) || (done.f == kCasF && t.applied);
  nlohmann::json doc;
  if (wants_document) {
    doc = nlohmann::json::parse(body, nullptr, false);
    if (doc.is_discarded()) {
      if (is_read && t.value->empty()) {
        doc = body;  // the empty pointer names the whole body: a raw value
      } else {
        // Not what the template reads (a proxy's page, a truncated answer):
        // never taken for an empty key or an applied cas.
        done.type = is_read ? OpType::fail : OpType::info;
        done.error = "the answer is not JSON (" + http_error() + ")";
        return done;
      }
    }
  }
  if (is_read) {
    if (!t.value) throw std::logic_error("a read template without 'value' (validation refuses it)");
    const nlohmann::json* at = find_pointer(doc, *t.value);
    if (at == nullptr) {
      if (t.value_absent == HttpAbsent::empty) {
        done.type = OpType::ok;
        done.value[1] = empty_value;
      } else {
        done.type = OpType::fail;
        done.error = "the answer has no " + t.value->to_string() + " (" + http_error() +
                     "); if that means the key holds nothing, say value_absent = \"empty\"";
      }
      return done;
    }
    auto decode_fail = [&](const nlohmann::json& v) {
      done.type = OpType::fail;
      done.error = "cannot decode " + v.dump() + " at " + t.value->to_string() + " as " +
                   (t.value_encoding == HttpValueEncoding::base64 ? "base64" : "json");
      return done;
    };
    if (set_read) {
      if (at->is_null()) {
        done.type = OpType::ok;
        done.value[1] = empty_value;
        return done;
      }
      if (!at->is_array()) return decode_fail(*at);
      nlohmann::json elements = nlohmann::json::array();
      for (const auto& e : *at) {
        auto v = http_decode_value(e, t.value_encoding);
        if (!v) return decode_fail(e);
        elements.push_back(std::move(*v));
      }
      done.type = OpType::ok;
      done.value[1] = std::move(elements);
      return done;
    }
    auto v = http_decode_value(*at, t.value_encoding);
    if (!v) return decode_fail(*at);
    done.type = OpType::ok;
    done.value[1] = std::move(*v);
    return done;
  }
  if (done.f == kCasF && t.applied) {
    const nlohmann::json* at = find_pointer(doc, *t.applied);
    if (at == nullptr || !at->is_boolean()) {
      const bool absent_fails = at == nullptr && t.applied_absent == HttpAbsent::fail;
      done.type = absent_fails ? OpType::fail : OpType::info;
      done.error = at == nullptr ? "the answer has no " + t.applied->to_string()
                                 : t.applied->to_string() + " is " + at->dump() + ", not a boolean";
      if (absent_fails) done.error = "did not apply (" + done.error + ")";
      return done;
    }
    if (!at->get<bool>()) {
      done.type = OpType::fail;
      done.error = "did not apply (" + t.applied->to_string() + " is false)";
      return done;
    }
  }
  done.type = OpType::ok;
  return done;
}

}  // namespace faultline
