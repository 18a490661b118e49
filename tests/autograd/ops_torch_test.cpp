// Training batch norm (outputs, gradients, running statistics over two steps, then inference
// with what they became) and label-smoothed cross entropy against PyTorch, computed at test time.
#include <gtest/gtest.h>

#include <random>

#include "autograd/gradcheck.h"
#include "autograd/torch_reference.h"
#include "lucid/ops.h"

namespace lucid::testing {
namespace {

Tensor uniform(const Shape& shape, std::mt19937& rng, double low, double high) {
  return random_tensor(shape, rng, low, high, DType::F32);
}

class BatchNormTrainTorch : public ::testing::TestWithParam<Shape> {};

TEST_P(BatchNormTrainTorch, StepsThenInference) {
  const Shape shape = GetParam();
  const int64_t channels = shape[1];
  const float momentum = 0.3f, eps = 1e-3f;  // not torch's defaults: both must reach the op
  std::mt19937 rng(5);
  Tensor weight = uniform({channels}, rng, -2, 2).set_requires_grad();
  Tensor bias = uniform({channels}, rng, -1, 1).set_requires_grad();
  Tensor running_mean = uniform({channels}, rng, -1, 1), running_var = uniform({channels}, rng, 0.5, 2);
  TorchReference torch;
  torch.write("weight", weight);
  torch.write("bias", bias);
  torch.write("running_mean", running_mean);
  torch.write("running_var", running_var);
  // Shifted and scaled so each step's statistics differ from the running ones.
  std::vector<Tensor> x, dy;
  for (int step = 0; step < 2; ++step) {
    x.push_back(uniform(shape, rng, -1 + 2 * step, 3 + step));
    dy.push_back(uniform(shape, rng, -1, 1));
    torch.write(numbered("x", step), x.back());
    torch.write(numbered("dy", step), dy.back());
  }
  ASSERT_TRUE(torch.run({{"op", "batch_norm"}, {"shape", shape}, {"momentum", momentum}, {"eps", eps}, {"steps", 2}}));

  for (int step = 0; step < 2; ++step) {
    Tensor input = x[step].clone().set_requires_grad();
    weight.set_grad(Tensor()), bias.set_grad(Tensor());
    Tensor y = ops::batch_norm_train(input, running_mean, running_var, weight, bias, momentum, eps);
    y.backward(dy[step]);
    EXPECT_TRUE(torch.matches(numbered("y", step), y));
    EXPECT_TRUE(torch.matches(numbered("dx", step), input.grad()));
    EXPECT_TRUE(torch.matches(numbered("dweight", step), weight.grad()));
    EXPECT_TRUE(torch.matches(numbered("dbias", step), bias.grad()));
    EXPECT_TRUE(torch.matches(numbered("running_mean", step), running_mean));
    EXPECT_TRUE(torch.matches(numbered("running_var", step), running_var));
  }
  Tensor input = x[0].clone().set_requires_grad();
  Tensor y = ops::batch_norm(input, running_mean, running_var, weight, bias, eps);
  y.backward(dy[0]);
  EXPECT_TRUE(torch.matches("y_eval", y));
  EXPECT_TRUE(torch.matches("dx_eval", input.grad()));
}

// A stage-2 activation, and (N,C,1,1) where the channels lie along memory.
INSTANTIATE_TEST_SUITE_P(Shapes, BatchNormTrainTorch,
                         ::testing::Values(Shape{8, 32, 7, 7}, Shape{16, 96, 1, 1}, Shape{2, 3, 1, 2}));

class CrossEntropyTorch : public ::testing::TestWithParam<float> {};

TEST_P(CrossEntropyTorch, LossAndGradient) {
  const float smoothing = GetParam();
  const int64_t n = 32, classes = 10;
  std::mt19937 rng(9);
  Tensor logits = uniform({n, classes}, rng, -6, 6).set_requires_grad();
  Tensor labels = Tensor::empty({n}, DType::I64);
  std::uniform_int_distribution<int64_t> label(0, classes - 1);
  for (int64_t i = 0; i < n; ++i) labels.data<int64_t>()[i] = label(rng);
  TorchReference torch;
  torch.write("logits", logits);
  torch.write("labels", labels);
  ASSERT_TRUE(torch.run({{"op", "cross_entropy"}, {"shape", {n, classes}}, {"smoothing", smoothing}}));

  Tensor loss = ops::cross_entropy(logits, labels, smoothing);
  loss.backward();
  EXPECT_TRUE(torch.matches("loss", loss));
  EXPECT_TRUE(torch.matches("dlogits", logits.grad()));
}

INSTANTIATE_TEST_SUITE_P(Smoothing, CrossEntropyTorch, ::testing::Values(0.0f, 0.1f));

}  // namespace
}  // namespace lucid::testing
