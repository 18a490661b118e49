#include "backend/cpu/cpu.h"
#include "backend/kernels.h"

namespace lucid::backend {

const Kernels& cpu_kernels() {
  static const Kernels table{
      .name = "cpu",
      .conv2d = cpu::conv2d,
      .batch_norm = cpu::batch_norm,
      .relu = cpu::relu,
      .max_pool2d = cpu::max_pool2d,
      .adaptive_avg_pool2d = cpu::adaptive_avg_pool2d,
      .linear = cpu::linear,
      .add = cpu::add,
      .softmax = cpu::softmax,
      .set_num_threads = cpu::set_num_threads,
  };
  return table;
}

}  // namespace lucid::backend
