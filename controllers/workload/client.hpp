#pragma once
// A client invokes one operation against the system under test and says how
// it ended, as in Jepsen's client protocol:
//   ok    it happened (a read carries the value it read);
//   fail  it certainly did not happen;
//   info  its outcome is unknown (it may have happened, or may yet).
// A client speaks a protocol (the reference store's HTTP API, later a user's
// program over JSON lines, Redis, PostgreSQL) and knows nothing of what
// drives it: generators, the final-state reader and sign-up all hand it
// operations. It records nothing; whoever invokes it records the invocation
// and the completion, so every client's history has one shape.
#include <memory>
#include <string>

#include "controllers/history/history.hpp"

namespace faultline {

class Client {
 public:
  virtual ~Client() = default;
  // `invoke` is an invocation (f, value, process, session, region set). The
  // answer is a copy of it completed: type ok, fail or info, and whatever the
  // system said (value, error, served_by, version). Failures of the system
  // are completions, never exceptions.
  virtual Operation invoke(const Operation& invoke) = 0;
};

// Opens clients. Called on the thread that will use the client, already
// inside the network namespace of the region's client host, so the client's
// sockets are born where a real client's would be.
class ClientFactory {
 public:
  virtual ~ClientFactory() = default;
  // One client per session: it may keep session state (a session token).
  virtual std::unique_ptr<Client> open(const std::string& region) = 0;
};

}  // namespace faultline
