// Hooks core/ calls into autograd without depending on the ops layer.
#pragma once

#include "lucid/tensor.h"

namespace lucid::autograd::detail {

// Gives view (a reshape of source) a node passing the gradient back reshaped, when needed.
void record_reshape(const Tensor& source, Tensor& view);

}  // namespace lucid::autograd::detail
