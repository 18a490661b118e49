// libFuzzer target: any bytes as a torch.save checkpoint. Errors must be lucid::Error.
#include "fuzz_file.h"
#include "lucid/error.h"
#include "lucid/io/torch_checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string path = lucid::fuzz::write_input(data, size, ".pth");
  try {
    auto source = lucid::io::open_torch_checkpoint(path);
    for (const auto& key : source->keys()) {
      lucid::Shape shape = source->shape(key);
      if (lucid::numel(shape) > (1 << 24)) continue;  // a huge claimed tensor: nothing to read
      lucid::Tensor t = lucid::Tensor::empty(shape, source->dtype(key));
      source->read_into(key, t);
    }
  } catch (const lucid::Error&) {
  }
  return 0;
}
