#include "loader.h"

#include <elf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <vector>

#include <boost/dll/library_info.hpp>

namespace sendsync::plugins::detail {
namespace {

// The ELF class and machine this host was built for; a plugin must match both.
#if defined(__x86_64__)
constexpr int kMachine = EM_X86_64;
constexpr const char* kMachineName = "x86-64";
#elif defined(__aarch64__)
constexpr int kMachine = EM_AARCH64;
constexpr const char* kMachineName = "aarch64";
#else
#error "add this architecture's ELF machine number"
#endif
constexpr unsigned char kClass = sizeof(void*) == 8 ? ELFCLASS64 : ELFCLASS32;

std::string MachineName(int m) {
  switch (m) {
    case EM_386: return "x86 (32-bit)";
    case EM_X86_64: return "x86-64";
    case EM_AARCH64: return "aarch64";
    case EM_ARM: return "arm (32-bit)";
    case EM_RISCV: return "riscv";
    case EM_PPC64: return "ppc64";
    case EM_S390: return "s390";
    default: return "machine " + std::to_string(m);
  }
}

// True when the ELF file's dynamic symbol table (.dynsym, what the dynamic loader uses) defines
// `name`. Boost 1.74's library_info reads only .symtab, which `strip` removes from a perfectly good
// plugin, so the export is looked up here.
bool DynamicSymbolDefined(const std::string& path, const std::string& name) {
  std::ifstream f(path, std::ios::binary);
  Elf64_Ehdr eh{};
  if (!f.read(reinterpret_cast<char*>(&eh), sizeof eh)) return false;
  if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 || eh.e_shnum > 4096) return false;
  std::vector<Elf64_Shdr> sections(eh.e_shnum);
  f.seekg(static_cast<std::streamoff>(eh.e_shoff));
  if (!f.read(reinterpret_cast<char*>(sections.data()),
              static_cast<std::streamsize>(sections.size() * sizeof(Elf64_Shdr))))
    return false;
  for (const Elf64_Shdr& s : sections) {
    if (s.sh_type != SHT_DYNSYM || s.sh_link >= sections.size() || s.sh_entsize != sizeof(Elf64_Sym))
      continue;
    const Elf64_Shdr& strtab = sections[s.sh_link];
    if (strtab.sh_size > (64u << 20) || s.sh_size > (64u << 20)) return false;
    std::string strings(strtab.sh_size, '\0');
    f.seekg(static_cast<std::streamoff>(strtab.sh_offset));
    if (!f.read(strings.data(), static_cast<std::streamsize>(strings.size()))) return false;
    std::vector<Elf64_Sym> syms(s.sh_size / sizeof(Elf64_Sym));
    f.seekg(static_cast<std::streamoff>(s.sh_offset));
    if (!f.read(reinterpret_cast<char*>(syms.data()),
                static_cast<std::streamsize>(syms.size() * sizeof(Elf64_Sym))))
      return false;
    for (const Elf64_Sym& sym : syms) {
      if (sym.st_shndx == SHN_UNDEF || sym.st_name >= strings.size()) continue;
      if (std::strcmp(strings.c_str() + sym.st_name, name.c_str()) == 0) return true;
    }
  }
  return false;
}

}  // namespace

Status StaticCheck(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Status::NotFound("no such file");
  if (!S_ISREG(st.st_mode)) return Status::InvalidArgument("not a regular file");
  if (::access(path.c_str(), R_OK) != 0) return Status::PermissionDenied("not readable");
  if (st.st_size == 0) return Status::InvalidArgument("empty file");

  // Boost.DLL's library_info tells whether this is an executable format it can parse.
  std::vector<std::string> symbols;
  try {
    boost::dll::library_info info(path, /*throw_if_not_native_format=*/true);
    symbols = info.symbols();
  } catch (const std::exception&) {
    return Status::InvalidArgument("not an ELF shared library");
  }

  // library_info accepts a 32-bit ELF on a 64-bit host and does not look at the machine, so read
  // those fields from the ELF identification and header ourselves.
  std::ifstream f(path, std::ios::binary);
  Elf64_Ehdr eh{};
  f.read(reinterpret_cast<char*>(&eh), sizeof eh);
  if (f.gcount() < static_cast<std::streamsize>(EI_NIDENT) ||
      std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
    return Status::InvalidArgument("not an ELF shared library");
  if (eh.e_ident[EI_CLASS] != kClass)
    return Status::InvalidArgument(eh.e_ident[EI_CLASS] == ELFCLASS32
                                       ? "built for a 32-bit architecture; this host is 64-bit"
                                       : "built for a 64-bit architecture; this host is 32-bit");
  if (f.gcount() < static_cast<std::streamsize>(sizeof eh))
    return Status::InvalidArgument("truncated ELF header");
  if (eh.e_machine != kMachine)
    return Status::InvalidArgument("built for " + MachineName(eh.e_machine) + ", this host is " +
                                   kMachineName);
  if (eh.e_type != ET_DYN) return Status::InvalidArgument("an ELF file but not a shared library");

  if (std::find(symbols.begin(), symbols.end(), SENDSYNC_ENTRY_ALIAS) == symbols.end() &&
      !DynamicSymbolDefined(path, SENDSYNC_ENTRY_ALIAS))
    return Status::InvalidArgument(std::string("no entry symbol '") + SENDSYNC_ENTRY_ALIAS +
                                   "' (not a sendsync adapter, or not exported)");
  return Status::OK();
}

Status CheckTableHeader(uint32_t major, uint32_t minor, uint32_t struct_size) {
  auto ver = [](uint32_t a, uint32_t b) { return std::to_string(a) + "." + std::to_string(b); };
  const std::string host = ver(SENDSYNC_ABI_MAJOR, SENDSYNC_ABI_MINOR);
  if (major != SENDSYNC_ABI_MAJOR)
    return Status::InvalidArgument("ABI " + ver(major, minor) + " is incompatible with host ABI " +
                                   host + " (major version differs)");
  if (minor > SENDSYNC_ABI_MINOR)
    return Status::InvalidArgument("ABI " + ver(major, minor) + " is newer than host ABI " + host +
                                   " (update sendsync to use this adapter)");
  // Every 1.x table has at least the 1.0 fields (up to free_buffer), whatever later minors add;
  // 64 KiB is far beyond any plausible future table.
  constexpr uint32_t kMin = offsetof(sendsync_plugin, free_buffer) + sizeof(void (*)(char*));
  if (struct_size < kMin || struct_size > 64 * 1024)
    return Status::InvalidArgument("table struct_size " + std::to_string(struct_size) +
                                   " is not sane for ABI " + ver(major, minor) + " (expected " +
                                   std::to_string(kMin) + " or more)");
  return Status::OK();
}

Result<std::shared_ptr<LoadedLibrary>> Load(const std::string& path) {
  auto loaded = std::make_shared<LoadedLibrary>();
  try {
    loaded->lib.load(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    auto& entry = loaded->lib.get_alias<const sendsync_plugin*()>(SENDSYNC_ENTRY_ALIAS);
    loaded->table = entry();
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("cannot load: ") + e.what());
  }
  if (!loaded->table) return Status::InvalidArgument("entry returned no table");
  return loaded;
}

}  // namespace sendsync::plugins::detail
