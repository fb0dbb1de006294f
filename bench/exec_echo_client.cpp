// The trivial exec client of driver_bench: answers every operation "ok" at
// once (a read reads 1), so what is measured is faultline's side of the
// protocol. Pins itself to the CPU named by its argument (the driver has
// the other), as the HTTP case's instant target does.
#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
  if (argc > 1) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(std::atoi(argv[1]), &set);
    sched_setaffinity(0, sizeof set, &set);
  }
  std::string in, out;
  char buffer[65536];
  for (;;) {
    const ssize_t got = ::read(STDIN_FILENO, buffer, sizeof buffer);
    if (got <= 0) return 0;
    in.append(buffer, static_cast<std::size_t>(got));
    std::size_t start = 0;
    for (std::size_t nl; (nl = in.find('\n', start)) != std::string::npos; start = nl + 1) {
      // faultline writes "id" first: {"id":N,...}
      const char* id = std::strstr(in.c_str() + start, "\"id\":");
      const long long n = id != nullptr ? std::atoll(id + 5) : 0;
      out += "{\"id\":" + std::to_string(n) + ",\"type\":\"ok\",\"value\":1}\n";
    }
    in.erase(0, start);
    for (std::size_t sent = 0; sent < out.size();) {
      const ssize_t n = ::write(STDOUT_FILENO, out.data() + sent, out.size() - sent);
      if (n <= 0) return 0;
      sent += static_cast<std::size_t>(n);
    }
    out.clear();
  }
}
