// tbfpack: packs Tock app ELFs into TBFs the way elf2tab does (loader/include/bulkhead/loader/tbf.hpp).
//
//   tbfpack [options] -o OUT.tbf APP.elf
//   tbfpack [options] --tab OUT.tab ARCH=APP.elf [ARCH=APP.elf ...]
//
// Options: --package-name NAME, --stack BYTES, --app-heap BYTES, --kernel-heap BYTES,
// --kernel-version MAJOR.MINOR, --protected-region-size BYTES, --disabled, --no-fixed-addresses.
// A .tab is a ustar archive with metadata.toml and one ARCH.tbf per input (elf2tab's layout).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "bulkhead/loader/tbf.hpp"

namespace {

using bulkhead::loader::TbfBuildOptions;

int usage(const char* msg) {
  std::fprintf(stderr,
               "tbfpack: %s\nusage: tbfpack [options] -o OUT.tbf APP.elf\n"
               "       tbfpack [options] --tab OUT.tab ARCH=APP.elf...\n",
               msg);
  return 2;
}

std::uint32_t number(const std::string& s) {
  std::size_t used = 0;
  const unsigned long v = std::stoul(s, &used, 0);
  if (used != s.size() || v > 0xFFFFFFFFul) throw std::invalid_argument("bad number: " + s);
  return static_cast<std::uint32_t>(v);
}

bool write_file(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  TbfBuildOptions opts;
  std::string out_tbf;
  std::string out_tab;
  std::vector<std::string> inputs;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
        return argv[++i];
      };
      if (a == "-o") {
        out_tbf = value();
      } else if (a == "--tab") {
        out_tab = value();
      } else if (a == "--package-name") {
        opts.package_name = value();
      } else if (a == "--stack") {
        opts.stack_size = number(value());
      } else if (a == "--app-heap") {
        opts.app_heap_size = number(value());
      } else if (a == "--kernel-heap") {
        opts.kernel_heap_size = number(value());
      } else if (a == "--protected-region-size") {
        opts.protected_region_size = number(value());
      } else if (a == "--kernel-version") {
        const std::string v = value();
        const auto dot = v.find('.');
        if (dot == std::string::npos) throw std::invalid_argument("--kernel-version wants MAJOR.MINOR");
        opts.kernel_version =
            bulkhead::loader::TbfKernelVersion{static_cast<std::uint16_t>(number(v.substr(0, dot))),
                                               static_cast<std::uint16_t>(number(v.substr(dot + 1)))};
      } else if (a == "--disabled") {
        opts.disabled = true;
      } else if (a == "--no-fixed-addresses") {
        opts.fixed_addresses = TbfBuildOptions::Fixed::Never;
      } else if (!a.empty() && a[0] == '-') {
        return usage(("unknown option " + a).c_str());
      } else {
        inputs.push_back(a);
      }
    }
  } catch (const std::exception& e) {
    return usage(e.what());
  }
  if (inputs.empty() || out_tbf.empty() == out_tab.empty())
    return usage("give either -o with one ELF or --tab");

  try {
    if (!out_tbf.empty()) {
      if (inputs.size() != 1) return usage("-o takes exactly one ELF");
      const auto app = bulkhead::loader::build_tbf_from_elf(inputs[0], opts);
      if (!write_file(out_tbf, app.bytes)) return usage(("cannot write " + out_tbf).c_str());
      return 0;
    }
    std::vector<bulkhead::loader::TarEntry> entries;
    entries.push_back({"metadata.toml", {}});
    std::string name = opts.package_name;
    for (const auto& in : inputs) {
      const auto eq = in.find('=');
      if (eq == std::string::npos || eq == 0)
        return usage(("--tab inputs are ARCH=APP.elf, not " + in).c_str());
      const auto app = bulkhead::loader::build_tbf_from_elf(in.substr(eq + 1), opts);
      if (name.empty()) name = app.header.package_name;
      entries.push_back({in.substr(0, eq) + ".tbf", app.bytes});
    }
    // metadata.toml as elf2tab writes it with --deterministic (no build-date).
    std::string meta = "tab-version = 1\nname = \"" + name + "\"\nonly-for-boards = \"\"\n";
    if (opts.kernel_version) {
      meta += "minimum-tock-kernel-version = \"" + std::to_string(opts.kernel_version->major) + "." +
              std::to_string(opts.kernel_version->minor) + "\"\n";
    }
    entries[0].data.assign(meta.begin(), meta.end());
    if (!write_file(out_tab, bulkhead::loader::write_tar(entries)))
      return usage(("cannot write " + out_tab).c_str());
    return 0;
  } catch (const bulkhead::loader::LoadError& e) {
    std::fprintf(stderr, "tbfpack: %s\n", e.what());
    return 1;
  }
}
