// The update kernels (backend/update_loops.h), on one thread.
#include "backend/reference/reference.h"
#include "backend/update_loops.h"

namespace lucid::backend::reference {

void axpby(float alpha, const Tensor& x, float beta, Tensor& y) { update::axpby(alpha, x, beta, y, false); }

double sum_squares(const Tensor& x) { return update::sum_squares(x, false); }

void sgd_step(Tensor& param, const Tensor& grad, Tensor& momentum_buffer, const SgdStep& step) {
  update::sgd_step(param, grad, momentum_buffer, step, false);
}

void adamw_step(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq, const AdamwStep& step) {
  update::adamw_step(param, grad, exp_avg, exp_avg_sq, step, false);
}

}  // namespace lucid::backend::reference
