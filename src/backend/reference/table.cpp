#include "backend/kernels.h"
#include "backend/reference/reference.h"

namespace lucid::backend {

const Kernels& reference_kernels() {
  static const Kernels table{
      .name = "reference",
      .conv2d = reference::conv2d,
      .batch_norm = reference::batch_norm,
      .relu = reference::relu,
      .max_pool2d = reference::max_pool2d,
      .adaptive_avg_pool2d = reference::adaptive_avg_pool2d,
      .linear = reference::linear,
      .add = reference::add,
      .softmax = reference::softmax,
      .set_num_threads = [](int) {},  // single-threaded by design
  };
  return table;
}

}  // namespace lucid::backend
