// The one-line fault report shared by the single-module kernel and the system of partitions.
#pragma once

#include <optional>
#include <string>

#include "bulkhead/core/fault.hpp"
#include "bulkhead/loader/image.hpp"
#include "bulkhead/loader/source_lines.hpp"

namespace bulkhead::kernel_shim {

// "pc 0x08000010 <main+0x4> (hello.c:12)"
std::string describe_pc(std::uint32_t pc, const loader::Image& image,
                        const std::optional<loader::SourceLines>& lines);
// Kind, access, address, PC with symbol and line, the protection unit's explanation, the syndrome.
std::string fault_report(const Fault& f, const loader::Image& image,
                         const std::optional<loader::SourceLines>& lines);

}  // namespace bulkhead::kernel_shim
