// The cycle search of the list-append analysis: strongly connected
// components of the dependency graph (Tarjan, with an explicit stack), the
// shortest cycle of each kind inside one (breadth first), and each edge of a
// witness explained in words. See list_append_analyzer.hpp.
#include <algorithm>
#include <set>

#include "controllers/checkers/list_append_analyzer.hpp"

namespace faultline::list_append_detail {

std::vector<std::vector<std::uint32_t>> Analyzer::components(
    const std::vector<std::uint32_t>& nodes, std::uint8_t mask, std::uint32_t member) {
  // Tarjan's algorithm with an explicit stack (a million-node path must not
  // overflow the call stack). `member`: only nodes whose member_ is it.
  ++generation_;
  std::vector<std::vector<std::uint32_t>> found;
  std::vector<std::uint32_t> stack;
  struct Frame {
    std::uint32_t node, edge;
  };
  std::vector<Frame> frames;
  std::uint32_t counter = 0, closed = 0;
  auto inside = [&](std::uint32_t v) { return member == kNoTxn || member_[v] == member; };
  auto enter = [&](std::uint32_t v) {
    stamp_[v] = generation_;
    index_[v] = low_[v] = counter++;
    stack.push_back(v);
    on_stack_[v] = 1;
    frames.push_back({v, out_start_[v]});
  };
  for (std::uint32_t s : nodes) {
    if (stamp_[s] == generation_) continue;
    enter(s);
    while (!frames.empty()) {
      budget_.step();
      Frame& f = frames.back();
      const std::uint32_t v = f.node;
      if (f.edge < out_start_[v + 1]) {
        const std::uint32_t e = f.edge++;
        if ((out_type_[e] & mask) == 0) continue;
        const std::uint32_t w = out_to_[e];
        if (!inside(w)) continue;
        if (stamp_[w] != generation_)
          enter(w);
        else if (on_stack_[w])
          low_[v] = std::min(low_[v], index_[w]);
        continue;
      }
      frames.pop_back();
      if (!frames.empty()) low_[frames.back().node] = std::min(low_[frames.back().node], low_[v]);
      if (low_[v] != index_[v]) continue;
      std::vector<std::uint32_t> scc;
      std::uint32_t w;
      ++closed;
      do {
        w = stack.back();
        stack.pop_back();
        on_stack_[w] = 0;
        comp_[w] = closed;
        scc.push_back(w);
      } while (w != v);
      if (scc.size() > 1) found.push_back(std::move(scc));
    }
  }
  return found;
}

bool Analyzer::shortest_path(std::uint32_t from, std::uint32_t to, std::uint8_t mask,
                             std::uint32_t member, std::vector<std::uint32_t>& nodes,
                             std::vector<std::uint8_t>& types, std::uint32_t floor) {
  // Breadth first from `from`; a path back to `from` itself is a cycle.
  ++generation_;
  std::vector<std::uint32_t> queue{from};
  bool reached = false;
  std::uint32_t last = kNoTxn;
  std::uint8_t last_type = 0;
  stamp_[from] = generation_;
  for (std::size_t q = 0; q < queue.size() && !reached; ++q) {
    const std::uint32_t v = queue[q];
    for (std::uint32_t e = out_start_[v]; e < out_start_[v + 1]; ++e) {
      budget_.step();
      if ((out_type_[e] & mask) == 0) continue;
      const std::uint32_t w = out_to_[e];
      if (member_[w] != member || (floor != 0 && comp_[w] < floor)) continue;
      if (w == to) {
        reached = true;
        last = v;
        last_type = out_type_[e];
        break;
      }
      if (stamp_[w] == generation_) continue;
      stamp_[w] = generation_;
      parent_[w] = v;
      parent_type_[w] = out_type_[e];
      queue.push_back(w);
    }
  }
  if (!reached) return false;
  // Walk back from the last hop: to <- last <- ... <- from.
  std::vector<std::uint32_t> back{last};
  std::vector<std::uint8_t> back_types{last_type};
  for (std::uint32_t v = last; v != from; v = parent_[v]) {
    back.push_back(parent_[v]);
    back_types.push_back(parent_type_[v]);
  }
  nodes.assign(back.rbegin(), back.rend());
  types.assign(back_types.rbegin(), back_types.rend());
  return true;
}

bool Analyzer::cycle_of(const std::vector<std::uint32_t>& scc, std::uint8_t mask,
                        std::uint32_t member, std::vector<std::uint32_t>& nodes,
                        std::vector<std::uint8_t>& types) {
  // A component of the subgraph of `mask` edges holds a cycle of them; the
  // shortest through its first node is the witness.
  const auto sub = components(scc, mask, member);
  if (sub.empty()) return false;
  const std::uint32_t inner = member_.size();  // a member id no txn uses
  for (std::uint32_t v : sub.front()) member_[v] = inner;
  const bool ok =
      shortest_path(sub.front().front(), sub.front().front(), mask, inner, nodes, types);
  for (std::uint32_t v : sub.front()) member_[v] = member;
  return ok;
}

bool Analyzer::single_rw_cycle(const std::vector<std::uint32_t>& scc, std::uint8_t mask,
                               std::uint32_t member, std::vector<std::uint32_t>& nodes,
                               std::vector<std::uint8_t>& types) {
  // Each rw edge u -> v closed by a path v -> u without rw: the shortest.
  // The components of the rw-free subgraph, numbered sinks first, prune
  // the search: v reaches u only if comp_[v] >= comp_[u], and only through
  // nodes numbered at least comp_[u] (numbers start at 1).
  components(scc, mask, member);
  bool any = false;
  std::vector<std::uint32_t> path;
  std::vector<std::uint8_t> path_types;
  for (std::uint32_t u : scc) {
    for (std::uint32_t e = out_start_[u]; e < out_start_[u + 1]; ++e) {
      if (out_type_[e] != kRW || member_[out_to_[e]] != member) continue;
      const std::uint32_t v = out_to_[e];
      if (comp_[v] < comp_[u]) continue;
      if (!shortest_path(v, u, mask, member, path, path_types, comp_[u])) continue;
      if (any && path.size() + 1 >= nodes.size()) continue;
      any = true;
      nodes = {u};
      types = {kRW};
      nodes.insert(nodes.end(), path.begin(), path.end());
      types.insert(types.end(), path_types.begin(), path_types.end());
      if (nodes.size() == 2) return true;  // none shorter
    }
  }
  return any;
}

bool Analyzer::nonadjacent_rw_cycle(const std::vector<std::uint32_t>& scc, std::uint8_t mask,
                                    std::uint32_t member, std::vector<std::uint32_t>& nodes,
                                    std::vector<std::uint8_t>& types) {
  // Elle's trick: search the graph of states (txn, whether the edge into it
  // was rw), where a state entered by rw has no rw edge out. For each rw
  // edge u -> v, breadth first from (v, rw) to (u, not rw): the cycle it
  // closes has no two rw edges in a row, around the end too. The search
  // does not go through u (a walk that did would hold a shorter such cycle,
  // or a G1c, which the component does not have), and not deeper than the
  // shortest found so far. Four transactions (rw, x, rw, x) is the least.
  // The cycle lies in one component of the subgraph of `mask` edges (with
  // realtime edges the whole component may be far larger): both ends of
  // the start edge in it, and the search kept inside it.
  components(scc, mask, member);
  bool any = false;
  std::vector<std::uint32_t> queue;
  auto state = [](std::uint32_t txn, bool rw) { return 2 * txn + (rw ? 1 : 0); };
  for (std::uint32_t u : scc) {
    for (std::uint32_t start = out_start_[u]; start < out_start_[u + 1]; ++start) {
      if (out_type_[start] != kRW || member_[out_to_[start]] != member) continue;
      const std::uint32_t v = out_to_[start];
      const std::uint32_t within = comp_[u];
      if (comp_[v] != within) continue;
      ++generation_;
      queue.assign({state(v, true)});
      std::vector<std::uint32_t> depth{1};  // edges so far, the start's included
      state_stamp_[queue[0]] = generation_;
      std::uint32_t reached = kNoTxn;
      std::uint8_t last_type = 0;
      for (std::size_t q = 0; q < queue.size() && reached == kNoTxn; ++q) {
        const std::uint32_t s = queue[q];
        const std::uint32_t x = s / 2;
        if (any && depth[q] + 1 >= nodes.size()) break;  // no shorter from here
        for (std::uint32_t e = out_start_[x]; e < out_start_[x + 1]; ++e) {
          budget_.step();
          const std::uint8_t type = out_type_[e];
          if ((type & mask) == 0 || ((s & 1) && type == kRW)) continue;
          const std::uint32_t w = out_to_[e];
          if (member_[w] != member || comp_[w] != within) continue;
          if (w == u) {
            if (type == kRW) continue;  // it would be followed by the start's rw
            reached = s;
            last_type = type;
            break;
          }
          const std::uint32_t next = state(w, type == kRW);
          if (state_stamp_[next] == generation_) continue;
          state_stamp_[next] = generation_;
          state_parent_[next] = s;
          state_parent_type_[next] = type;
          queue.push_back(next);
          depth.push_back(depth[q] + 1);
        }
      }
      if (reached == kNoTxn) continue;
      // u -(rw)-> v ... reached -(last_type)-> u, walked back.
      std::vector<std::uint32_t> back{reached / 2};
      std::vector<std::uint8_t> back_types{last_type};
      for (std::uint32_t s = reached; s != state(v, true); s = state_parent_[s]) {
        back.push_back(state_parent_[s] / 2);
        back_types.push_back(state_parent_type_[s]);
      }
      if (any && back.size() + 1 >= nodes.size()) continue;
      any = true;
      nodes = {u};
      types = {kRW};
      nodes.insert(nodes.end(), back.rbegin(), back.rend());
      types.insert(types.end(), back_types.rbegin(), back_types.rend());
      if (nodes.size() == 4) return true;  // none shorter
    }
  }
  return any;
}

void Analyzer::search_cycles() {
  const std::size_t n = t_.txns().size();
  stamp_.assign(n, 0);
  index_.assign(n, 0);
  low_.assign(n, 0);
  parent_.assign(n, 0);
  parent_type_.assign(n, 0);
  on_stack_.assign(n, 0);
  member_.assign(n, kNoTxn);
  comp_.assign(n, 0);
  state_stamp_.assign(2 * n, 0);
  state_parent_.assign(2 * n, 0);
  state_parent_type_.assign(2 * n, 0);
  std::vector<std::uint32_t> all;
  for (std::uint32_t i = 0; i < n; ++i)
    if (node(i)) all.push_back(i);
  const std::uint8_t full = kWW | kWR | kRW | (realtime_ ? kRT : 0);
  where_ = "finding the strongly connected components";
  const auto sccs = components(all, full, kNoTxn);
  out_->components = sccs.size();
  // The kinds of cycle, weakest first: a component is named by the first
  // it holds (one that holds a G0 may hold a G2-item too; G0 says more).
  struct Stage {
    const char* name;
    std::uint8_t mask;
    enum { plain, single_rw, nonadjacent_rw } search;
  };
  std::vector<Stage> stages{{"G0", kWW, Stage::plain},
                            {"G1c", kWW | kWR, Stage::plain},
                            {"G-single", kWW | kWR, Stage::single_rw},
                            {"G-nonadjacent", kWW | kWR | kRW, Stage::nonadjacent_rw},
                            {"G2-item", kWW | kWR | kRW, Stage::plain}};
  if (realtime_)
    stages.insert(stages.end(), {{"G0-realtime", kWW | kRT, Stage::plain},
                                 {"G1c-realtime", kWW | kWR | kRT, Stage::plain},
                                 {"G-single-realtime", kWW | kWR | kRT, Stage::single_rw},
                                 {"G-nonadjacent-realtime", full, Stage::nonadjacent_rw},
                                 {"G2-item-realtime", full, Stage::plain}});
  for (std::size_t c = 0; c < sccs.size(); ++c) {
    const auto& scc = sccs[c];
    where_ = "searching strongly connected component " + std::to_string(c + 1) + " of " +
             std::to_string(sccs.size()) + " (" + std::to_string(scc.size()) +
             " transactions) for cycles";
    const auto member = static_cast<std::uint32_t>(c);
    for (std::uint32_t v : scc) member_[v] = member;
    std::vector<std::uint32_t> nodes;
    std::vector<std::uint8_t> types;
    for (const Stage& stage : stages) {
      const bool got = stage.search == Stage::single_rw
                           ? single_rw_cycle(scc, stage.mask, member, nodes, types)
                       : stage.search == Stage::nonadjacent_rw
                           ? nonadjacent_rw_cycle(scc, stage.mask, member, nodes, types)
                           : cycle_of(scc, stage.mask, member, nodes, types);
      if (!got) continue;
      // From its earliest transaction, so a cycle reads the same whichever
      // node the search started from.
      const auto first = std::min_element(nodes.begin(), nodes.end()) - nodes.begin();
      std::rotate(nodes.begin(), nodes.begin() + first, nodes.end());
      std::rotate(types.begin(), types.begin() + first, types.end());
      TxnAnomaly a{.name = stage.name, .txns = nodes};
      for (std::size_t i = 0; i < nodes.size(); ++i)
        a.steps.push_back(explain(nodes[i], nodes[(i + 1) % nodes.size()], types[i]));
      found(std::move(a));
      break;
    }
    for (std::uint32_t v : scc) member_[v] = kNoTxn;
  }
}

std::string Analyzer::explain(std::uint32_t from, std::uint32_t to, std::uint8_t type) const {
  const auto& txns = t_.txns();
  const auto& mops = t_.mops();
  const Txn& a = txns[from];
  const Txn& b = txns[to];
  const std::string tag = " (" + std::string(edge_name(type)) + ")";
  if (type == kRT)
    return name(from) + " completed (at " + seconds_text(a.end_time) + ") before " + name(to) +
           " was invoked (at " + seconds_text(b.invoke_time) + ")" + tag;
  if (type == kWW) {
    for (std::uint32_t m = a.first_mop; m < a.first_mop + a.mop_count; ++m) {
      const Mop& mop = mops[m];
      if (mop.kind != MopKind::append) continue;
      const auto& order = t_.orders()[mop.key].elements;
      for (std::size_t i = 0; i + 1 < order.size(); ++i)
        if (order[i] == mop.value && writer(mop.key, i + 1) == to)
          return name(from) + " appended " + std::to_string(order[i]) + " to " +
                 t_.key_name(mop.key) + " before " + name(to) + " appended " +
                 std::to_string(order[i + 1]) + tag;
    }
  }
  const Txn& reader = type == kWR ? b : a;
  const std::uint32_t other = type == kWR ? from : to;
  for (std::uint32_t m = reader.first_mop; m < reader.first_mop + reader.mop_count; ++m) {
    const Mop& read = mops[m];
    if (read.kind != MopKind::read || !read.external) continue;
    const std::string text = name(type == kWR ? to : from) + " read " + t_.key_name(read.key) +
                             " = " + list_text(t_.read_elements(read));
    if (type == kWR && read.length > 0) {
      const std::uint32_t w = t_.append_of(read.value);
      if (w != kNoTxn && mops[w].txn == other)
        return text + ", which ends with " + name(other) + "'s append of " +
               std::to_string(read.value) + tag;
    }
    if (type == kRW && read.incompatible == kNoTxn && read.length < order_length(read.key) &&
        writer(read.key, read.length) == other)
      return text + " without " + name(other) + "'s append of " +
             std::to_string(t_.orders()[read.key].elements[read.length]) + tag;
  }
  return name(from) + " -> " + name(to) + tag;
}


}  // namespace faultline::list_append_detail
