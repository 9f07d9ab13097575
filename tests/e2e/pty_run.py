#!/usr/bin/env python3
"""Runs a command on a pseudo-terminal (as a person at a terminal would) and
copies everything it writes there to a file. Usage:
    pty_run.py OUTPUT_FILE COLUMNS COMMAND ARGS...
Exits with the command's exit code (1 when it was killed by a signal)."""
import fcntl
import os
import pty
import struct
import sys
import termios


def main():
    out_path, columns, argv = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    with open(out_path, "wb") as out:
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            out.write(data)
    _, status = os.waitpid(pid, 0)
    sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


if __name__ == "__main__":
    main()
