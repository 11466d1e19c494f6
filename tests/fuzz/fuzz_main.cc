// libFuzzer entry point; the target is chosen at build time
// (-DACCELMAP_FUZZ_TARGET=id_list), one binary per target (tests/fuzz/CMakeLists.txt).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  accelmap::fuzz::ACCELMAP_FUZZ_TARGET(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
