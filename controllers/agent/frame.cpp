#include "controllers/agent/frame.hpp"

namespace faultline::agent {

namespace {

std::uint32_t length_of(const std::string& b) {
  return (std::uint32_t(std::uint8_t(b[0])) << 24) | (std::uint32_t(std::uint8_t(b[1])) << 16) |
         (std::uint32_t(std::uint8_t(b[2])) << 8) | std::uint32_t(std::uint8_t(b[3]));
}

}  // namespace

std::string encode_frame(const nlohmann::json& message) {
  const std::string body = message.dump();
  if (body.size() > kMaxFrame)
    throw FrameError("message of " + std::to_string(body.size()) +
                     " bytes is over the frame limit");
  const auto n = static_cast<std::uint32_t>(body.size());
  std::string out;
  out.reserve(4 + body.size());
  out.push_back(char(n >> 24));
  out.push_back(char(n >> 16));
  out.push_back(char(n >> 8));
  out.push_back(char(n));
  out += body;
  return out;
}

std::size_t FrameReader::wanted() const {
  if (buffer_.size() < 4) return 4 - buffer_.size();
  const std::size_t total = 4 + std::size_t(length_of(buffer_));
  return total > buffer_.size() ? total - buffer_.size() : 1;
}

std::optional<nlohmann::json> FrameReader::next() {
  if (buffer_.size() < 4) return std::nullopt;
  const std::uint32_t n = length_of(buffer_);
  if (n > kMaxFrame) throw FrameError("frame of " + std::to_string(n) + " bytes is over the limit");
  if (buffer_.size() < 4 + std::size_t(n)) return std::nullopt;
  auto message =
      nlohmann::json::parse(buffer_.begin() + 4, buffer_.begin() + 4 + n, nullptr, false);
  buffer_.erase(0, 4 + std::size_t(n));
  if (!message.is_object()) throw FrameError("a frame that is not a JSON object");
  return message;
}

}  // namespace faultline::agent
