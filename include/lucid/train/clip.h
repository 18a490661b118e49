// Gradient-norm clipping, as torch.nn.utils.clip_grad_norm_ (2-norm, error_if_nonfinite off).
#pragma once

#include <vector>

#include "lucid/tensor.h"

namespace lucid::train {

// The 2-norm of all the parameters' gradients together (those without one are skipped). When
// it exceeds max_norm, every gradient is scaled in place by max_norm / (norm + 1e-6). Returns
// the norm before clipping: inf or nan when a gradient is not finite (the gradients are then
// scaled by nan, as torch does).
double clip_grad_norm(const std::vector<Tensor>& parameters, double max_norm);

}  // namespace lucid::train
