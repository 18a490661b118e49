// libFuzzer target: any bytes as an image (JPEG or PNG by content), then the eval transforms.
#include "lucid/data/transforms.h"
#include "lucid/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    // A small pixel limit keeps each run fast; the guard itself is under test too.
    lucid::data::Image image = lucid::data::decode_image(data, size, "fuzz", {.max_pixels = 1 << 18});
    lucid::data::preprocess(image, {.resize = 40, .crop = 32});
  } catch (const lucid::Error&) {
  }
  return 0;
}
