// Reading and writing the size-versioned structs of plugin.h: a reader copies
// min(struct_size, sizeof) into a zeroed local, so a field the other side did
// not know of reads as absent; a writer writes back only what the other side
// knows of. Used by the host's services and by the plugin server's forwarders.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace mi2 {

template <class T>
T read_sized(const T* from) {
  T local;
  std::memset(&local, 0, sizeof local);
  std::memcpy(&local, from, std::min<size_t>(from->struct_size, sizeof local));
  local.struct_size = from->struct_size;
  return local;
}

template <class T>
void write_sized(T* to, const T& local) {
  uint32_t size = to->struct_size;
  std::memcpy(to, &local, std::min<size_t>(size, sizeof local));
  to->struct_size = size;
}

}  // namespace mi2
