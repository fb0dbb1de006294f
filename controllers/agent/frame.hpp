#pragma once
// The agent protocol's framing: each message is a 4-byte big-endian length
// and one JSON object of that many bytes. Requests carry "op" and "id"; the
// response carries the same "id" and either the op's fields or "error".
// Pure: the TLS stream (tls.hpp) moves the bytes.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>

namespace faultline::agent {

// A message larger than this is refused before it is read: no plan step or
// inventory comes near it, and a peer that sends one is not speaking the protocol.
inline constexpr std::uint32_t kMaxFrame = 16u << 20;

class FrameError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string encode_frame(const nlohmann::json& message);

// Bytes in, whole messages out, however the bytes were split.
class FrameReader {
 public:
  void feed(const char* data, std::size_t size) { buffer_.append(data, size); }
  // The next whole message, or nothing until more bytes arrive. Throws
  // FrameError on an oversized frame or one that is not a JSON object.
  std::optional<nlohmann::json> next();
  // How many bytes the next message still needs (at least 1 while none is whole).
  std::size_t wanted() const;

 private:
  std::string buffer_;
};

}  // namespace faultline::agent
