// libFuzzer target: any bytes as an image (JPEG or PNG by content), then the eval transforms.
#include "lucid/data/transforms.h"
#include "lucid/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    // Small pixel limits keep each run fast (an image 1 pixel high and 60000 wide would resize to
    // 40 x 2.4 M); the guards themselves are under test too.
    lucid::data::Image image = lucid::data::decode_image(data, size, "fuzz", {.max_pixels = 1 << 18});
    lucid::data::preprocess(image, {.resize = 40, .crop = 32, .max_resized_pixels = 1 << 20});
  } catch (const lucid::Error&) {
  }
  return 0;
}
