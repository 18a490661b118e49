// The update kernels (backend/update_loops.h), with OpenMP.
#include "backend/cpu/cpu.h"
#include "backend/update_loops.h"

namespace lucid::backend::cpu {

void axpby(float alpha, const Tensor& x, float beta, Tensor& y) { update::axpby(alpha, x, beta, y, true); }

double sum_squares(const Tensor& x) { return update::sum_squares(x, true); }

void sgd_step(Tensor& param, const Tensor& grad, Tensor& momentum_buffer, const SgdStep& step) {
  update::sgd_step(param, grad, momentum_buffer, step, true);
}

void adamw_step(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq, const AdamwStep& step) {
  update::adamw_step(param, grad, exp_avg, exp_avg_sq, step, true);
}

}  // namespace lucid::backend::cpu
