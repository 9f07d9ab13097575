// A child process joined to its parent by one Unix socket, for plugins that run
// out of process. The child is started with an argv array (posix_spawn, never
// a shell), gets the socket as file descriptor 3, runs in its own process group
// (a Ctrl-C on the terminal reaches the parent, which decides what to stop),
// and writes its stdout to the parent's stderr (a plugin's stray printf must
// not mix into a command's output). Messages on the socket are frames: a
// 4-byte big-endian length, then that many bytes.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/result.h"

namespace mi2 {

// The descriptor the child finds its end of the socket on.
inline constexpr int kChildChannelFd = 3;

enum class FrameRead { kFrame, kTimeout, kClosed, kError };

// Frame I/O on a socket or pipe. write_frame is false when the peer is gone;
// read_frame waits for a whole frame (kClosed on EOF before one starts).
bool write_frame(int fd, std::string_view payload);
FrameRead read_frame(int fd, std::string& payload);

// How a child ended, from its wait status: "killed by signal 11, SIGSEGV" or
// "exited with status 3".
std::string describe_wait_status(int status);

// In a connected child: asks the kernel to kill this process when the parent
// (the thread that started it) ends, kill -9 included, so a plugin busy in
// its own code never outlives the mi2 it serves.
void end_with_parent();

class ConnectedChild {
 public:
  // Starts `program` (an absolute path) with `argv`. The error is one sentence.
  static Result<std::unique_ptr<ConnectedChild>> start(const std::string& program,
                                                       const std::vector<std::string>& argv);

  // Ends the child (SIGKILL) if it still runs, and reaps it.
  ~ConnectedChild();
  ConnectedChild(const ConnectedChild&) = delete;
  ConnectedChild& operator=(const ConnectedChild&) = delete;

  pid_t pid() const { return pid_; }
  bool send(std::string_view payload) { return fd_ >= 0 && write_frame(fd_, payload); }
  // Waits at most `wait` for a frame to start; kTimeout also when a signal
  // interrupted the wait, so the caller can look at its cancel flag.
  FrameRead receive(std::string& payload, std::chrono::milliseconds wait);

  // Closes our end, waits up to `grace` for the child to exit, then kills it.
  // Returns its wait status (kept, so a second call returns the same).
  int finish(std::chrono::milliseconds grace);
  bool finished() const { return reaped_; }

 private:
  ConnectedChild(pid_t pid, int fd) : pid_(pid), fd_(fd) {}

  pid_t pid_;
  int fd_;
  bool reaped_ = false;
  int status_ = 0;
};

}  // namespace mi2
