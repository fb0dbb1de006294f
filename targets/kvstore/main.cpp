// faultline-kv: one region of the reference multi-region key-value store.
//
//   faultline-kv --region us-east-1 --listen 198.18.1.10 --port 8080
//       --peers 198.18.2.10,198.18.3.10 [--bug no-replication]
#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <thread>

#include "common/http_client.hpp"
#include "targets/kvstore/server.hpp"

using namespace faultline::kvstore;
using namespace std::chrono_literals;

int main(int argc, char** argv) {
  CLI::App app{"faultline-kv: one region of the reference multi-region store"};
  std::string region, listen = "127.0.0.1", bug;
  unsigned short port = 8080;
  std::vector<std::string> peers;
  app.add_option("--region", region, "this region's name")->required();
  app.add_option("--listen", listen, "address to listen on");
  app.add_option("--port", port, "port to listen on (peers use the same port)");
  app.add_option("--peers", peers, "addresses of the other regions")->delimiter(',');
  app.add_option("--bug", bug, "plant a known bug")->check(CLI::IsMember({"no-replication"}));
  CLI11_PARSE(app, argc, argv);

  std::vector<Peer> peer_list;
  for (auto& address : peers) peer_list.push_back({address, port});

  std::unique_ptr<Replicator> replicator;
  if (bug != "no-replication") replicator = std::make_unique<Replicator>(peer_list);
  Region state(region, replicator.get());

  // Anti-entropy at start: a restarted region pulls what its peers hold, so a
  // killed region catches up instead of serving an empty map.
  if (replicator) {
    for (const auto& peer : peer_list) {
      faultline::http::Client client(peer.address, peer.port, 500ms);
      auto outcome = client.get("/dump");
      if (outcome.response && outcome.response->status == 200)
        state.absorb(decode_entries(outcome.response->body));
    }
  }

  try {
    std::cerr << "faultline-kv " << region << " listening on " << listen << ":" << port
              << (bug.empty() ? "" : " with bug " + bug) << "\n";
    serve(state, listen, port);
  } catch (const std::exception& e) {
    std::cerr << "faultline-kv: " << e.what() << "\n";
    return 1;
  }
}
