#include "lucid/train/clip.h"

#include <algorithm>
#include <cmath>

#include "backend/kernels.h"
#include "lucid/autograd.h"
#include "lucid/error.h"

namespace lucid::train {

double clip_grad_norm(const std::vector<Tensor>& parameters, double max_norm) {
  if (!(max_norm > 0)) throw ValueError("clip_grad_norm", cat("max_norm must be > 0, got ", max_norm));
  autograd::NoGradGuard no_grad;
  std::vector<Tensor> grads;
  for (const Tensor& p : parameters)
    if (Tensor g = p.grad(); g.defined()) grads.push_back(g);
  double sum = 0.0;  // of squares, in double (torch reduces in float: the norms differ by its rounding)
  for (const Tensor& g : grads) sum += backend::kernels_for(g.device()).sum_squares(g);
  const double norm = std::sqrt(sum);
  // torch multiplies by min(coef, 1) in float32 even when that is 1 (a no-op), and by nan for a
  // non-finite norm.
  const float coef = std::min(static_cast<float>(max_norm) / (static_cast<float>(norm) + 1e-6f), 1.0f);
  if (coef < 1.0f || std::isnan(coef))
    for (Tensor& g : grads) backend::kernels_for(g.device()).axpby(coef, g, 0.0f, g);
  return norm;
}

}  // namespace lucid::train
