// `bulkhead decide` on bad input: exit status 2, nothing on stdout, and a message on stderr that names the
// JSON path of the defect. Also: no input, however mangled, crashes the command.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "run_bulkhead.hpp"

namespace {

using bulkhead_test::bulkhead;
using bulkhead_test::decide;
using bulkhead_test::Outcome;

struct BadDump {
  const char* name;
  const char* dump;
  const char* extra_args;
  const char* message;  // must appear in stderr
};

// One row per error class of docs/decide.md.
const BadDump kBadDumps[] = {
    {"InvalidJson", R"({"model": "pmp",, })", "",
     "invalid JSON at byte 17: parse error at line 1, column 17"},
    {"TruncatedJson", R"({"model": "pmp", "writes": [)", "", "invalid JSON at byte"},
    {"NotAnObject", R"([1, 2])", "", "/: expected an object, got array"},
    {"UnknownTopLevelField", R"({"model": "pmp", "wirtes": []})", "", "/wirtes: unknown field"},
    {"UnknownWriteField",
     R"({"model": "pmsav7", "writes": [{"reg": "MPU_RNR", "value": 0}, {"reg": "MPU_RNR", "value": 1},
        {"reg": "MPU_RNR", "value": 1}, {"reg": "MPU_RBAR", "vlaue": 1}]})",
     "", "/writes/3/vlaue: unknown field"},
    {"UnknownOptionForModel", R"({"model": "pmsav7", "options": {"v81m": true}})", "",
     "/options/v81m: unknown field"},
    {"UnknownAccessField",
     R"({"model": "pmp", "accesses": [{"address": 0, "size": 4, "access": "read", "privilege": "user", "pc": 0}]})",
     "", "/accesses/0/pc: unknown field"},
    {"EscapedFieldName", R"({"model": "pmp", "a/b": 1})", "", "/a~1b: unknown field"},
    {"MissingModel", R"({"writes": []})", "", "/model: required field missing"},
    {"UnknownModel", R"({"model": "pmsav6"})", "", "/model: unknown model \"pmsav6\""},
    {"ModelWrongType", R"({"model": 7})", "", "/model: expected a string, got number"},
    {"ValueWrongType", R"({"model": "pmp", "writes": [{"csr": "pmpaddr0", "value": [1]}]})", "",
     "/writes/0/value: expected an integer or a string holding one, got array"},
    {"BoolWrongType", R"({"model": "pmsav8", "options": {"v81m": "yes"}})", "",
     "/options/v81m: expected true or false"},
    {"ValueTooWide",
     R"({"model": "pmsav7", "writes": [{"reg": "MPU_RNR", "value": 0}, {"reg": "MPU_RBAR", "value": 0},
        {"reg": "MPU_RASR", "value": "0x1_0000_0000"}]})",
     "", "/writes/2/value: 0x1_0000_0000 does not fit in 32 bits"},
    {"ValueBeyond64Bits",
     R"({"model": "pmp", "writes": [{"csr": "pmpaddr0", "value": "0x1_0000_0000_0000_0000"}]})", "",
     "/writes/0/value: 0x1_0000_0000_0000_0000 does not fit in 32 bits"},
    {"NegativeValue", R"({"model": "pmp", "writes": [{"csr": "pmpaddr0", "value": -1}]})", "",
     "/writes/0/value: -1 is negative"},
    {"FractionalValue", R"({"model": "pmp", "writes": [{"csr": "pmpaddr0", "value": 1.5}]})", "",
     "/writes/0/value: 1.5 is not an integer"},
    {"NotANumber", R"({"model": "pmp", "writes": [{"csr": "pmpaddr0", "value": "0xZZ"}]})", "",
     "/writes/0/value: \"0xZZ\" is not a number"},
    {"RegionsOutOfRange", R"({"model": "pmsav7", "options": {"regions": 17}})", "",
     "/options/regions: must be 0..16"},
    {"EntriesOutOfRange", R"({"model": "pmp", "options": {"entries": "65"}})", "",
     "/options/entries: must be 0..64"},
    {"GranularityOutOfRange", R"({"model": "pmp", "options": {"granularity": 31}})", "",
     "/options/granularity: must be 0..30"},
    {"MinRegionSizeNotPowerOfTwo", R"({"model": "pmsav7", "options": {"min_region_size": 96}})", "",
     "/options/min_region_size: must be a power of two"},
    {"BadPolicy", R"({"model": "pmsav7", "options": {"srd_below_256": "honor"}})", "",
     "/options/srd_below_256: must be \"ignore\" or \"honour\""},
    {"SizeOutOfRange",
     R"({"model": "pmp", "accesses": [{"address": 0, "size": 16, "access": "read", "privilege": "user"}]})",
     "", "/accesses/0/size: must be 1..8, got 16"},
    {"AddressTooWide",
     R"({"model": "pmp", "accesses": [{"address": "0x1_0000_0000", "size": 1, "access": "read", "privilege": "user"}]})",
     "", "/accesses/0/address: 0x1_0000_0000 does not fit in 32 bits"},
    {"MissingAccessField", R"({"model": "pmp", "accesses": [{"address": 0, "size": 1, "access": "read"}]})",
     "", "/accesses/0/privilege: required field missing"},
    {"BadAccessKind",
     R"({"model": "pmp", "accesses": [{"address": 0, "size": 1, "access": "fetch", "privilege": "user"}]})",
     "", "/accesses/0/access: must be read, write or execute"},
    {"RiscvPrivilegeOnArm",
     R"({"model": "pmsav8", "accesses": [{"address": 0, "size": 1, "access": "read", "privilege": "machine"}]})",
     "", "/accesses/0/privilege: must be privileged or unprivileged"},
    {"VectorTableOnPmp",
     R"({"model": "pmp", "accesses": [{"address": 0, "size": 4, "access": "read", "privilege": "machine",
        "vector_table": true}]})",
     "", "/accesses/0/vector_table: vector-table reads exist only on the Arm models"},
    {"VectorTableWrite",
     R"({"model": "pmsav7", "accesses": [{"address": 0, "size": 4, "access": "write", "privilege": "privileged",
        "vector_table": true}]})",
     "", "/accesses/0/vector_table: a vector-table access is a read"},
    {"UnknownArmRegister", R"({"model": "pmsav7", "writes": [{"reg": "MPU_RLAR", "value": 0}]})", "",
     "/writes/0/reg: unknown pmsav7 register \"MPU_RLAR\""},
    {"ReadOnlyArmRegister", R"({"model": "pmsav8", "writes": [{"reg": "MPU_TYPE", "value": 0}]})", "",
     "/writes/0/reg: unknown pmsav8 register \"MPU_TYPE\""},
    {"NonMpuAddress", R"({"model": "pmsav8", "writes": [{"addr": "0xE000ED08", "value": 0}]})", "",
     "/writes/0/addr: 0xE000ED08 is not a writable pmsav8 MPU register"},
    {"BothRegAndAddr",
     R"({"model": "pmsav8", "writes": [{"reg": "MPU_CTRL", "addr": "0xE000ED94", "value": 0}]})", "",
     "/writes/0: give exactly one of \"reg\""},
    {"ArmFieldOnPmp", R"({"model": "pmp", "writes": [{"reg": "pmpaddr0", "value": 0}]})", "",
     "/writes/0/reg: unknown field"},
    {"MissingValue", R"({"model": "pmp", "writes": [{"csr": "pmpaddr0"}]})", "",
     "/writes/0/value: required field missing"},
    {"UnknownCsrName", R"({"model": "pmp", "writes": [{"csr": "pmpaddr64", "value": 0}]})", "",
     "/writes/0/csr: unknown CSR \"pmpaddr64\""},
    {"NonPmpCsrNumber", R"({"model": "pmp", "writes": [{"csr": "0x300", "value": 0}]})", "",
     "/writes/0/csr: 0x300 is not a PMP CSR"},
    {"CsrMissingInThisConfiguration",
     R"({"model": "pmp", "options": {"entries": 8}, "writes": [{"csr": "pmpaddr0", "value": 0}, {"csr": "pmpaddr8", "value": 0}]})",
     "", "/writes/1/csr: pmpaddr8 does not exist with these options (entries=8)"},
    {"MseccfgWithoutSmepmp",
     R"({"model": "pmp", "options": {"smepmp": false}, "writes": [{"csr": "mseccfg", "value": 1}]})", "",
     "/writes/0/csr: mseccfg does not exist"},
    {"StateOnPmp", R"({"model": "pmp", "state": {"negative_priority": true}})", "",
     "/state: only the Arm models have state"},
    {"BadAccessArgument", R"({"model": "pmp"})", "--access 0x100:4:read",
     "--access 0x100:4:read: expected ADDRESS:SIZE:ACCESS:PRIVILEGE"},
    {"BadAccessArgumentSize", R"({"model": "pmp"})", "--access 0x100:0:read:user",
     "--access 0x100:0:read:user (size): must be 1..8"},
    {"BadAccessArgumentPrivilege", R"({"model": "pmsav7"})", "--access 0x100:4:read:user",
     "--access 0x100:4:read:user (privilege): must be privileged or unprivileged"},
};

class BadInput : public ::testing::TestWithParam<BadDump> {};

TEST_P(BadInput, ExitsTwoWithThePathInTheMessage) {
  const BadDump& c = GetParam();
  const Outcome o = decide(c.dump, c.extra_args);
  EXPECT_EQ(o.status, 2) << o.err;
  EXPECT_EQ(o.out, "");
  EXPECT_EQ(o.err.rfind("bulkhead: error: ", 0), 0u) << o.err;
  EXPECT_NE(o.err.find(c.message), std::string::npos) << "stderr: " << o.err << "expected: " << c.message;
}

INSTANTIATE_TEST_SUITE_P(Decide, BadInput, ::testing::ValuesIn(kBadDumps),
                         [](const ::testing::TestParamInfo<BadDump>& p) {
                           return std::string(p.param.name);
                         });

TEST(DecideErrors, DumpErrorsNameTheFile) {
  const Outcome o = decide(R"({"model": "pmsav9"})");
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.err.find("dump.json: /model:"), std::string::npos) << o.err;
}

TEST(DecideErrors, MissingFile) {
  const Outcome o = bulkhead("decide /nonexistent/dump.json");
  EXPECT_EQ(o.status, 2);
  EXPECT_EQ(o.out, "");
  EXPECT_EQ(o.err, "bulkhead: error: /nonexistent/dump.json: cannot open: No such file or directory\n");
}

TEST(DecideErrors, DirectoryInsteadOfFile) {
  const Outcome o = bulkhead("decide /");
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.err.find("/: cannot read: Is a directory"), std::string::npos) << o.err;
}

TEST(DecideErrors, EmptyStdinIsInvalidJson) {
  const Outcome o = bulkhead("decide -");  // bulkhead() redirects stdin from /dev/null
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.err.find("<stdin>: invalid JSON at byte 1"), std::string::npos) << o.err;
}

TEST(DecideErrors, MissingDumpArgumentIsAUsageError) {
  const Outcome o = bulkhead("decide");
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.err.find("dump is required"), std::string::npos) << o.err;
}

// Mangled copies of the examples (bytes flipped, deleted, truncated) must give a verdict list or a clean
// error: exit 0 or 2, never a crash or another status.
TEST(DecideErrors, MangledExamplesNeverCrash) {
  std::mt19937 rng(2024);
  int errors = 0;
  for (const char* model : {"pmsav7", "pmsav8", "pmp"}) {
    const std::string original = bulkhead_test::slurp(std::string(EXAMPLES_DIR) + "/" + model + ".json");
    ASSERT_FALSE(original.empty());
    for (int i = 0; i < 40; ++i) {
      std::string text = original;
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits && !text.empty(); ++e) {
        const std::size_t at = rng() % text.size();
        switch (rng() % 3) {
          case 0:
            text[at] = static_cast<char>(rng() % 256);
            break;
          case 1:
            text.erase(at, 1 + rng() % 8);
            break;
          default:
            text.resize(at);
            break;
        }
      }
      const Outcome o = decide(text);
      ASSERT_TRUE(o.status == 0 || o.status == 2) << "status " << o.status << " for:\n"
                                                  << text << "\n"
                                                  << o.err;
      if (o.status == 2) {
        ++errors;
        EXPECT_EQ(o.out, "");
        EXPECT_EQ(o.err.rfind("bulkhead: error: ", 0), 0u) << o.err;
      }
    }
  }
  EXPECT_GT(errors, 60);  // most mangled dumps are invalid; a parser that accepts anything would fail here
}

}  // namespace
