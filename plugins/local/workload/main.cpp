// mi2-workload: the stand-in application the local plugin deploys.
//
//   mi2-workload --version V --port P [--unhealthy] [--ready-after-ms N]
//
// Serves on 127.0.0.1:P (P = 0 picks a free port, printed on stdout):
//   GET /healthz    200 "ok" once ready; 503 while starting, always with --unhealthy
//   GET /__version  200 and the bare version string (like the real frontend)
// Exits 0 on SIGTERM or SIGINT. Plain POSIX sockets, one request per connection.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

volatile sig_atomic_t g_stop = 0;
void on_signal(int) {
  g_stop = 1;
}

struct Options {
  std::string version;
  int port = -1;
  bool unhealthy = false;
  long ready_after_ms = 0;
};

bool parse(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) == 0) arg = arg.substr(1);  // accept -flag and --flag
    bool has_value = i + 1 < argc;
    if (arg == "-version" && has_value) {
      options.version = argv[++i];
    } else if (arg == "-port" && has_value) {
      options.port = std::atoi(argv[++i]);
    } else if (arg == "-ready-after-ms" && has_value) {
      options.ready_after_ms = std::atol(argv[++i]);
    } else if (arg == "-unhealthy") {
      options.unhealthy = true;
    } else {
      return false;
    }
  }
  return !options.version.empty() && options.port >= 0 && options.port < 65536;
}

void reply(int fd, int status, const std::string& body) {
  const char* reason = status == 200 ? "OK" : status == 404 ? "Not Found" : "Service Unavailable";
  std::string response =
      "HTTP/1.1 " + std::to_string(status) + " " + reason +
      "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\nConnection: close\r\n\r\n" + body;
  const char* data = response.data();
  size_t left = response.size();
  while (left > 0) {
    ssize_t n = write(fd, data, left);
    if (n <= 0) return;
    data += n;
    left -= static_cast<size_t>(n);
  }
}

// Reads up to the end of the request line; enough for GET without a body.
std::string read_path(int fd) {
  std::string request;
  char buffer[1024];
  while (request.find("\r\n") == std::string::npos && request.size() < 8192) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 2000) <= 0) return "";
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n <= 0) break;
    request.append(buffer, static_cast<size_t>(n));
  }
  size_t first = request.find(' ');
  if (first == std::string::npos) return "";
  size_t second = request.find(' ', first + 1);
  std::string path = request.substr(first + 1, second - first - 1);
  return path.substr(0, path.find('?'));
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse(argc, argv, options)) {
    std::fprintf(stderr,
                 "usage: mi2-workload --version V --port P [--unhealthy] [--ready-after-ms N]\n");
    return 2;
  }
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  signal(SIGPIPE, SIG_IGN);

  int server = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int yes = 1;
  setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(options.port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(server, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(server, 64) != 0) {
    std::fprintf(stderr, "mi2-workload: cannot listen on 127.0.0.1:%d: %s\n", options.port,
                 std::strerror(errno));
    return 1;
  }
  socklen_t length = sizeof address;
  getsockname(server, reinterpret_cast<sockaddr*>(&address), &length);
  std::printf("mi2-workload %s listening on 127.0.0.1:%d%s\n", options.version.c_str(),
              ntohs(address.sin_port), options.unhealthy ? " (unhealthy)" : "");
  std::fflush(stdout);

  auto started = std::chrono::steady_clock::now();
  while (!g_stop) {
    pollfd p{server, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;  // wakes up to notice a signal
    int client = accept4(server, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    std::string path = read_path(client);
    auto age = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - started)
                   .count();
    bool ready = !options.unhealthy && age >= options.ready_after_ms;
    if (path == "/healthz") {
      reply(client, ready ? 200 : 503, ready ? "ok" : "not ready");
    } else if (path == "/__version") {
      reply(client, 200, options.version);
    } else {
      reply(client, 404, "not found");
    }
    close(client);
  }
  close(server);
  std::printf("mi2-workload %s stopped\n", options.version.c_str());
  return 0;
}
