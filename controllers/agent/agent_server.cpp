#include "controllers/agent/agent_server.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>

namespace faultline::agent {

AgentServer::AgentServer(AgentCore& core, TlsContext ctx, TcpListener listener)
    : core_(core), ctx_(std::move(ctx)), listener_(std::move(listener)) {}

AgentServer::~AgentServer() {
  {
    std::lock_guard lock(mutex_);
    for (int fd : open_) ::shutdown(fd, SHUT_RDWR);
  }
  for (auto& t : threads_) t.join();
}

void AgentServer::run(const std::atomic<bool>& stop, std::chrono::milliseconds tick) {
  std::thread leases([this, &stop, tick] {
    while (!stop) {
      core_.expire();
      std::this_thread::sleep_for(tick);
    }
  });
  while (!stop) {
    std::string peer;
    const int fd = listener_.accept(std::chrono::milliseconds(100), &peer);
    if (fd < 0) continue;
    std::lock_guard lock(mutex_);
    open_.insert(fd);
    threads_.emplace_back([this, fd, peer] { serve(fd, peer); });
  }
  leases.join();
  std::lock_guard lock(mutex_);
  for (int fd : open_) ::shutdown(fd, SHUT_RDWR);
}

void AgentServer::serve(int fd, std::string peer) {
  AgentCore::Session session{peer, ""};
  // The stream owns a duplicate: `fd` stays open, and in open_, until this
  // thread is done, so a stop never shuts down a reused number.
  std::optional<TlsStream> stream;
  try {
    // A peer that connects and says nothing holds no thread for long.
    stream.emplace(TlsStream::accept(ctx_, ::dup(fd), std::chrono::seconds(5)));
  } catch (const std::exception& e) {
    spdlog::warn("refused {}: {}", peer, e.what());
  }
  if (stream) {
    spdlog::info("controller {} connected ({})", peer, stream->peer_name());
    try {
      while (auto request = stream->read_message())
        stream->write_message(core_.handle(session, *request));
      spdlog::info(
          "controller {} closed its connection{}", peer,
          session.run.empty() ? "" : " (run " + session.run + " keeps its lease until it expires)");
    } catch (const std::exception& e) {
      spdlog::warn(
          "lost controller {}: {}{}", peer, e.what(),
          session.run.empty() ? "" : " (run " + session.run + " keeps its lease until it expires)");
    }
    stream.reset();
  }
  std::lock_guard lock(mutex_);
  open_.erase(fd);
  ::close(fd);
}

}  // namespace faultline::agent
