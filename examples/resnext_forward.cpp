// The README's example: create resnext_50_32x4d, forward a tensor, print the shape.
#include <cstdio>

#include "lucid/models/resnext.h"

int main() {
  using namespace lucid;
  auto model = models::resnext_50_32x4d();  // or models::create_model("resnext_50_32x4d", {...})
  model->eval();
  Tensor x = Tensor::full({1, 3, 224, 224}, 0.5f);
  Tensor logits = model->forward(x);
  std::printf("%s, %lld parameters\n", to_string(logits.shape()).c_str(),
              static_cast<long long>(model->num_parameters()));  // 1x1000, 25028904 parameters
}
