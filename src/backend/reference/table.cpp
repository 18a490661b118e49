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
      .conv2d_backward_data = reference::conv2d_backward_data,
      .conv2d_backward_weights = reference::conv2d_backward_weights,
      .batch_norm_train = reference::batch_norm_train,
      .batch_norm_backward = reference::batch_norm_backward,
      .relu_backward = reference::relu_backward,
      .max_pool2d_backward = reference::max_pool2d_backward,
      .adaptive_avg_pool2d_backward = reference::adaptive_avg_pool2d_backward,
      .linear_backward = reference::linear_backward,
      .log_softmax = reference::log_softmax,
      .log_softmax_backward = reference::log_softmax_backward,
      .nll_loss = reference::nll_loss,
      .nll_loss_backward = reference::nll_loss_backward,
      .mul = reference::mul,
      .axpby = reference::axpby,
      .sum_squares = reference::sum_squares,
      .sgd_step = reference::sgd_step,
      .adamw_step = reference::adamw_step,
  };
  return table;
}

}  // namespace lucid::backend
