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
      .conv2d_backward_data = cpu::conv2d_backward_data,
      .conv2d_backward_weights = cpu::conv2d_backward_weights,
      .batch_norm_train = cpu::batch_norm_train,
      .batch_norm_backward = cpu::batch_norm_backward,
      .relu_backward = cpu::relu_backward,
      .max_pool2d_backward = cpu::max_pool2d_backward,
      .adaptive_avg_pool2d_backward = cpu::adaptive_avg_pool2d_backward,
      .linear_backward = cpu::linear_backward,
      .log_softmax = cpu::log_softmax,
      .log_softmax_backward = cpu::log_softmax_backward,
      .nll_loss = cpu::nll_loss,
      .nll_loss_backward = cpu::nll_loss_backward,
      .mul = cpu::mul,
      .axpby = cpu::axpby,
      .sum_squares = cpu::sum_squares,
      .sgd_step = cpu::sgd_step,
      .adamw_step = cpu::adamw_step,
  };
  return table;
}

}  // namespace lucid::backend
