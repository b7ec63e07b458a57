// Arm MPU register addresses and field masks (System Control Space, word-addressed).
#pragma once

#include <cstdint>

namespace bulkhead::mpu {

// Register addresses. ARMv7-M ARM B3.5.4 Table B3-14 (PMSAv7) / ARMv8-M ARM D1.2 (PMSAv8).
namespace addr {
constexpr std::uint32_t MPU_TYPE = 0xE000'ED90;  // B3.5.5: read-only
constexpr std::uint32_t MPU_CTRL = 0xE000'ED94;  // B3.5.6
constexpr std::uint32_t MPU_RNR = 0xE000'ED98;   // B3.5.7
constexpr std::uint32_t MPU_RBAR = 0xE000'ED9C;  // B3.5.8
constexpr std::uint32_t MPU_RASR = 0xE000'EDA0;  // B3.5.9 (v7)
constexpr std::uint32_t MPU_RLAR = 0xE000'EDA0;  // ARMv8-M ARM D1.2 MPU_RLAR: the v7 RASR address
// Aliases: v7 B3.5.4 (pure aliases of RBAR/RASR); v8 D1.2 (regions RNR[7:2]:n).
constexpr std::uint32_t MPU_RBAR_A1 = 0xE000'EDA4;
constexpr std::uint32_t MPU_RASR_A1 = 0xE000'EDA8;
constexpr std::uint32_t MPU_RBAR_A2 = 0xE000'EDAC;
constexpr std::uint32_t MPU_RASR_A2 = 0xE000'EDB0;
constexpr std::uint32_t MPU_RBAR_A3 = 0xE000'EDB4;
constexpr std::uint32_t MPU_RASR_A3 = 0xE000'EDB8;
constexpr std::uint32_t MPU_RLAR_A1 = MPU_RASR_A1;
constexpr std::uint32_t MPU_RLAR_A2 = MPU_RASR_A2;
constexpr std::uint32_t MPU_RLAR_A3 = MPU_RASR_A3;
constexpr std::uint32_t MPU_MAIR0 = 0xE000'EDC0;  // ARMv8-M D1.2: PMSAv8 only
constexpr std::uint32_t MPU_MAIR1 = 0xE000'EDC4;  // ARMv8-M D1.2: PMSAv8 only
}  // namespace addr

// MPU_TYPE. ARMv7-M B3.5.5 / ARMv8-M D1.2 MPU_TYPE.
namespace type {
constexpr std::uint32_t DREGION_SHIFT = 8;          // DREGION[15:8]: number of regions, 0 = no MPU
constexpr std::uint32_t DREGION_MASK = 0xFFu << 8;  // DREGION[15:8]
constexpr std::uint32_t SEPARATE = 1u << 0;         // SEPARATE[0]: always 0, unified map
}  // namespace type

// MPU_CTRL. ARMv7-M B3.5.6 / ARMv8-M D1.2 MPU_CTRL.
namespace ctrl {
constexpr std::uint32_t ENABLE = 1u << 0;      // ENABLE[0]: MPU enabled
constexpr std::uint32_t HFNMIENA = 1u << 1;    // HFNMIENA[1]: MPU stays on at execution priority < 0
constexpr std::uint32_t PRIVDEFENA = 1u << 2;  // PRIVDEFENA[2]: default map as a privileged background
constexpr std::uint32_t MASK = ENABLE | HFNMIENA | PRIVDEFENA;  // other bits RAZ/WI
}  // namespace ctrl

// MPU_RNR. ARMv7-M B3.5.7.
namespace rnr {
constexpr std::uint32_t REGION_MASK = 0xFFu;  // REGION[7:0]
}  // namespace rnr

// PMSAv7 MPU_RBAR. ARMv7-M B3.5.8.
namespace v7rbar {
constexpr std::uint32_t ADDR_MASK = 0xFFFF'FFE0u;  // ADDR[31:5] (bits below the region size: see B3.5.8)
constexpr std::uint32_t VALID = 1u << 4;           // VALID[4]: write-only, 1 = REGION updates RNR
constexpr std::uint32_t REGION_MASK = 0xFu;        // REGION[3:0]: reads RNR, written when VALID=1
}  // namespace v7rbar

// PMSAv7 MPU_RASR. ARMv7-M B3.5.9.
namespace rasr {
constexpr std::uint32_t XN = 1u << 28;           // XN[28]: execute never
constexpr std::uint32_t AP_SHIFT = 24;           // AP[26:24]: Table B3-15
constexpr std::uint32_t AP_MASK = 7u << 24;      // AP[26:24]
constexpr std::uint32_t TEX_SHIFT = 19;          // TEX[21:19]: Table B3-13
constexpr std::uint32_t TEX_MASK = 7u << 19;     // TEX[21:19]
constexpr std::uint32_t S = 1u << 18;            // S[18]: shareable
constexpr std::uint32_t C = 1u << 17;            // C[17]
constexpr std::uint32_t B = 1u << 16;            // B[16]
constexpr std::uint32_t SRD_SHIFT = 8;           // SRD[15:8]: subregion disable
constexpr std::uint32_t SRD_MASK = 0xFFu << 8;   // SRD[15:8]
constexpr std::uint32_t SIZE_SHIFT = 1;          // SIZE[5:1]: region is 2^(SIZE+1) bytes
constexpr std::uint32_t SIZE_MASK = 0x1Fu << 1;  // SIZE[5:1]
constexpr std::uint32_t ENABLE = 1u << 0;        // ENABLE[0]: region enable
constexpr std::uint32_t DEFINED = XN | AP_MASK | TEX_MASK | S | C | B | SRD_MASK | SIZE_MASK | ENABLE;
}  // namespace rasr

// PMSAv8 MPU_RBAR. ARMv8-M ARM D1.2 MPU_RBAR.
namespace v8rbar {
constexpr std::uint32_t BASE_MASK = 0xFFFF'FFE0u;  // BASE[31:5]: 32-byte granule
constexpr std::uint32_t SH_SHIFT = 3;              // SH[4:3]: shareability
constexpr std::uint32_t SH_MASK = 3u << 3;         // SH[4:3]
constexpr std::uint32_t AP_SHIFT = 1;              // AP[2:1]: AP[2]=RO, AP[1]=NP (D1.2 MPU_RBAR)
constexpr std::uint32_t AP_MASK = 3u << 1;         // AP[2:1]
constexpr std::uint32_t AP_RO = 1u << 2;           // AP[2]: read-only
constexpr std::uint32_t AP_NP = 1u << 1;           // AP[1]: unprivileged access permitted
constexpr std::uint32_t XN = 1u << 0;              // XN[0]: execute never
}  // namespace v8rbar

// PMSAv8 MPU_RLAR. ARMv8-M ARM D1.2 MPU_RLAR.
namespace rlar {
constexpr std::uint32_t LIMIT_MASK = 0xFFFF'FFE0u;  // LIMIT[31:5]: inclusive, region ends at LIMIT:0b11111
constexpr std::uint32_t PXN = 1u << 4;              // PXN[4]: privileged execute never (v8.1-M, else RES0)
constexpr std::uint32_t ATTRINDX_SHIFT = 1;         // AttrIndx[3:1]: MAIR attribute index
constexpr std::uint32_t ATTRINDX_MASK = 7u << 1;    // AttrIndx[3:1]
constexpr std::uint32_t EN = 1u << 0;               // EN[0]: region enable
}  // namespace rlar

// Encoders for kernels and tests. Arguments are field values, not positioned bits.
constexpr std::uint32_t make_v7_rasr(std::uint32_t size_field, std::uint32_t ap, bool xn,
                                     std::uint32_t srd = 0, bool enable = true, std::uint32_t tex = 0,
                                     bool s = false, bool c = false, bool b = false) {
  return (xn ? rasr::XN : 0u) | ((ap << rasr::AP_SHIFT) & rasr::AP_MASK) |
         ((tex << rasr::TEX_SHIFT) & rasr::TEX_MASK) | (s ? rasr::S : 0u) | (c ? rasr::C : 0u) |
         (b ? rasr::B : 0u) | ((srd << rasr::SRD_SHIFT) & rasr::SRD_MASK) |
         ((size_field << rasr::SIZE_SHIFT) & rasr::SIZE_MASK) | (enable ? rasr::ENABLE : 0u);
}
constexpr std::uint32_t make_v8_rbar(std::uint32_t base, std::uint32_t ap, bool xn, std::uint32_t sh = 0) {
  return (base & v8rbar::BASE_MASK) | ((sh << v8rbar::SH_SHIFT) & v8rbar::SH_MASK) |
         ((ap << v8rbar::AP_SHIFT) & v8rbar::AP_MASK) | (xn ? v8rbar::XN : 0u);
}
// `limit` is the last byte of the region (its low 5 bits are implied ones).
constexpr std::uint32_t make_v8_rlar(std::uint32_t limit, bool enable = true, std::uint32_t attr_index = 0,
                                     bool pxn = false) {
  return (limit & rlar::LIMIT_MASK) | (pxn ? rlar::PXN : 0u) |
         ((attr_index << rlar::ATTRINDX_SHIFT) & rlar::ATTRINDX_MASK) | (enable ? rlar::EN : 0u);
}

}  // namespace bulkhead::mpu
