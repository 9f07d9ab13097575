// The child's side of a plugin that runs in its own process: what the hidden
// `mi2 __plugin-host PLUGIN_FILE` does. It loads the plugin with the normal
// loader (every check an in-process load makes), gives it a service table
// whose every function forwards the call to the parent over the socket on
// fd 3 and waits for the answer (plugin_protocol.h), and runs create, invoke
// and destroy as the parent asks. The child never performs a service itself:
// dry-run, the journal, redaction and cancellation stay the parent's.
#pragma once

#include <filesystem>

namespace mi2 {

// Serves the plugin in `plugin_file` over the socket `fd` until the parent
// sends destroy or goes away. Returns the process's exit code: 0 after a
// destroy or when the parent went away, 1 when the plugin was refused (the
// refusal was sent to the parent).
int serve_plugin(const std::filesystem::path& plugin_file, int fd);

}  // namespace mi2
