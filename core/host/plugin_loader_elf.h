// Checks a plugin file's ELF structure against its size before dlopen sees
// it: a truncated or corrupt .so would otherwise be mapped past its end and
// kill the host with SIGBUS inside the loader. Checked: the identification
// (64-bit, this machine's byte order and architecture, a shared object), the
// program header table, every segment's file range, and the section header
// table, each inside the file.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace mi2 {

// nullopt when the file is a whole ELF shared object for this machine, else
// the refusal: "plugin file '<shown>' is ...; rebuild it or remove it ...".
std::optional<std::string> elf_refusal(const std::filesystem::path& file, const std::string& shown);

}  // namespace mi2
