#include "core/host/plugin_loader_elf.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/base/text.h"

namespace mi2 {

namespace {

#if defined(__x86_64__)
constexpr std::uint16_t kHostMachine = EM_X86_64;
#elif defined(__aarch64__)
constexpr std::uint16_t kHostMachine = EM_AARCH64;
#else
constexpr std::uint16_t kHostMachine = EM_NONE;  // not checked
#endif

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
constexpr unsigned char kHostData = ELFDATA2LSB;
#else
constexpr unsigned char kHostData = ELFDATA2MSB;
#endif

// [offset, offset + count * size) inside a file of `file_size` bytes, without overflow.
bool inside(std::uint64_t offset, std::uint64_t count, std::uint64_t size,
            std::uint64_t file_size) {
  if (count != 0 && size > UINT64_MAX / count) return false;
  std::uint64_t length = count * size;
  return offset <= file_size && length <= file_size - offset;
}

bool read_at(int fd, void* buffer, size_t size, std::uint64_t offset) {
  auto* out = static_cast<char*>(buffer);
  while (size > 0) {
    ssize_t n = ::pread(fd, out, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    out += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
  return true;
}

std::string ends_past(const std::string& what, std::uint64_t end, std::uint64_t size) {
  return "it is truncated or corrupt: " + what + " ends at byte " + std::to_string(end) +
         " but the file has " + std::to_string(size) + " bytes";
}

// The problem with the ELF file open on `fd` (of `size` bytes), or "".
std::string elf_problem(int fd, std::uint64_t size) {
  unsigned char ident[EI_NIDENT] = {};
  if (size < EI_NIDENT || !read_at(fd, ident, EI_NIDENT, 0) ||
      std::memcmp(ident, ELFMAG, SELFMAG) != 0)
    return "is not a shared object (it has no ELF header)";
  if (ident[EI_CLASS] != ELFCLASS64)
    return "it is a 32-bit ELF file; this mi2 loads 64-bit plugins";
  if (ident[EI_DATA] != kHostData) return "it is an ELF file of the other byte order";
  Elf64_Ehdr header{};
  if (size < sizeof header || !read_at(fd, &header, sizeof header, 0))
    return ends_past("the ELF header", sizeof header, size);
  if (header.e_type != ET_DYN)
    return "it is not a shared object (ELF type " + std::to_string(header.e_type) + ")";
  if (kHostMachine != EM_NONE && header.e_machine != kHostMachine)
    return "it was built for another machine (ELF machine " + std::to_string(header.e_machine) +
           ", this one is " + std::to_string(kHostMachine) + ")";
  if (header.e_phnum == 0 || header.e_phnum == PN_XNUM || header.e_phentsize != sizeof(Elf64_Phdr))
    return "it is corrupt: its ELF header gives no usable program header table";
  if (!inside(header.e_phoff, header.e_phnum, sizeof(Elf64_Phdr), size))
    return ends_past("the program header table",
                     header.e_phoff + std::uint64_t{header.e_phnum} * sizeof(Elf64_Phdr), size);
  std::vector<Elf64_Phdr> segments(header.e_phnum);
  if (!read_at(fd, segments.data(), segments.size() * sizeof(Elf64_Phdr), header.e_phoff))
    return "its program headers cannot be read";
  for (size_t i = 0; i < segments.size(); ++i) {
    const Elf64_Phdr& s = segments[i];
    if (s.p_type == PT_LOAD && s.p_filesz > s.p_memsz)
      return "it is corrupt: segment " + std::to_string(i) + " holds more bytes than it maps";
    if (!inside(s.p_offset, 1, s.p_filesz, size))
      return ends_past("segment " + std::to_string(i), s.p_offset + s.p_filesz, size);
  }
  if (header.e_shoff != 0 && header.e_shnum != 0) {
    if (header.e_shentsize != sizeof(Elf64_Shdr))
      return "it is corrupt: its section header entries have the wrong size";
    if (!inside(header.e_shoff, header.e_shnum, sizeof(Elf64_Shdr), size))
      return ends_past("the section header table",
                       header.e_shoff + std::uint64_t{header.e_shnum} * sizeof(Elf64_Shdr), size);
  }
  return "";
}

}  // namespace

std::optional<std::string> elf_refusal(const std::filesystem::path& file,
                                       const std::string& shown) {
  std::string prefix = "plugin file '" + escape_control(shown) + "' ";
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return prefix + "cannot be loaded: it cannot be read: " + std::strerror(errno);
  struct stat st {};
  std::string problem = ::fstat(fd, &st) != 0
                            ? std::string("it cannot be read: ") + std::strerror(errno)
                            : elf_problem(fd, static_cast<std::uint64_t>(st.st_size));
  ::close(fd);
  if (problem.empty()) return std::nullopt;
  if (problem.find("no ELF header") != std::string::npos)
    return prefix + problem + "; remove it from the plugin folder";
  return prefix + "cannot be loaded: " + problem +
         "; rebuild it for this machine or remove it from the plugin folder";
}

}  // namespace mi2
