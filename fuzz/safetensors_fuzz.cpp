// libFuzzer target: any bytes as a safetensors file. Errors must be lucid::Error; every tensor
// the header accepts must load.
#include "fuzz_file.h"
#include "lucid/error.h"
#include "lucid/io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string path = lucid::fuzz::write_input(data, size, ".safetensors");
  try {
    auto file = lucid::io::SafetensorsFile::open(path);
    for (const auto& entry : file.entries()) {
      try {
        lucid::Tensor t = file.load(entry.name);
        file.load_into(entry.name, t);
      } catch (const lucid::UnsupportedError&) {  // a valid dtype we do not hold
      }
    }
  } catch (const lucid::Error&) {
  }
  return 0;
}
