// Layers in training mode: BatchNorm2d with batch statistics (against PyTorch, computed at test
// time) and Dropout's mask, in the forward and the backward.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "autograd/gradcheck.h"
#include "autograd/torch_reference.h"
#include "lucid/nn/layers.h"

namespace lucid::testing {
namespace {

int64_t batches_tracked(const nn::BatchNorm2d& bn) { return bn.num_batches_tracked.data<int64_t>()[0]; }

TEST(TrainingMode, BatchNorm2dMatchesTorch) {
  const Shape shape{6, 16, 5, 5};
  nn::BatchNorm2d bn(16);  // torch's defaults: eps 1e-5, momentum 0.1
  std::mt19937 rng(3);
  bn.weight.copy_from(random_tensor({16}, rng, -2, 2, DType::F32));
  bn.bias.copy_from(random_tensor({16}, rng, -1, 1, DType::F32));
  bn.running_mean.copy_from(random_tensor({16}, rng, -1, 1, DType::F32));
  bn.running_var.copy_from(random_tensor({16}, rng, 0.5, 2, DType::F32));
  TorchReference torch;
  torch.write("weight", bn.weight);
  torch.write("bias", bn.bias);
  torch.write("running_mean", bn.running_mean);
  torch.write("running_var", bn.running_var);
  std::vector<Tensor> x, dy;
  for (int step = 0; step < 2; ++step) {
    x.push_back(random_tensor(shape, rng, -2 + step, 4, DType::F32));
    dy.push_back(random_tensor(shape, rng, -1, 1, DType::F32));
    torch.write(numbered("x", step), x.back());
    torch.write(numbered("dy", step), dy.back());
  }
  ASSERT_TRUE(torch.run({{"op", "batch_norm"}, {"shape", shape}, {"momentum", 0.1}, {"eps", 1e-5}, {"steps", 2}}));

  ASSERT_TRUE(bn.is_training());
  for (int step = 0; step < 2; ++step) {
    Tensor input = x[step].clone().set_requires_grad();
    bn.weight.set_grad(Tensor()), bn.bias.set_grad(Tensor());
    Tensor y = bn(input);
    y.backward(dy[step]);
    EXPECT_TRUE(torch.matches(numbered("y", step), y));
    EXPECT_TRUE(torch.matches(numbered("dx", step), input.grad()));
    EXPECT_TRUE(torch.matches(numbered("dweight", step), bn.weight.grad()));
    EXPECT_TRUE(torch.matches(numbered("dbias", step), bn.bias.grad()));
    EXPECT_TRUE(torch.matches(numbered("running_mean", step), bn.running_mean));
    EXPECT_TRUE(torch.matches(numbered("running_var", step), bn.running_var));
    EXPECT_EQ(batches_tracked(bn), step + 1);
    EXPECT_EQ(torch.result(numbered("num_batches_tracked", step)).data<double>()[0], step + 1);
  }

  bn.eval();
  Tensor input = x[0].clone().set_requires_grad();
  Tensor y = bn(input);
  y.backward(dy[0]);
  EXPECT_TRUE(torch.matches("y_eval", y));
  EXPECT_TRUE(torch.matches("dx_eval", input.grad()));
  EXPECT_EQ(batches_tracked(bn), 2) << "inference must not count batches";
}

TEST(TrainingMode, BatchNorm2dEvalLeavesStatisticsAlone) {
  nn::BatchNorm2d bn(4);
  bn.eval();
  std::mt19937 rng(4);
  bn(random_tensor({2, 4, 3, 3}, rng, 1, 5, DType::F32));
  EXPECT_EQ(bn.running_mean.to_vector(), std::vector<float>(4, 0.0f));
  EXPECT_EQ(bn.running_var.to_vector(), std::vector<float>(4, 1.0f));
  EXPECT_EQ(batches_tracked(bn), 0);
}

TEST(TrainingMode, DropoutMasksForwardAndBackwardAlike) {
  const float p = 0.25f;
  nn::Dropout dropout(p, 42);
  std::mt19937 rng(6);
  Tensor x = random_tensor({64, 100}, rng, 0.5, 1.5, DType::F32).set_requires_grad();
  Tensor y = dropout(x);
  const Tensor dy = random_tensor({64, 100}, rng, -1, 1, DType::F32);
  y.backward(dy);
  const float* xp = x.data<float>();
  const float* yp = y.data<float>();
  const float* gp = x.grad().data<float>();
  const float* dp = dy.data<float>();
  int64_t dropped = 0;
  for (int64_t i = 0; i < x.numel(); ++i) {
    const bool kept = yp[i] != 0.0f;
    dropped += !kept;
    // Kept values are scaled by 1 / (1 - p), and their gradient with them; dropped ones get none.
    EXPECT_FLOAT_EQ(yp[i], kept ? xp[i] / (1 - p) : 0.0f) << i;
    EXPECT_FLOAT_EQ(gp[i], kept ? dp[i] / (1 - p) : 0.0f) << i;
  }
  EXPECT_NEAR(double(dropped) / double(x.numel()), p, 0.03);
  // A second call draws a fresh mask.
  EXPECT_GT(relative_error(dropout(x), y), 0.1);
}

TEST(TrainingMode, DropoutIsTheIdentityInEval) {
  nn::Dropout dropout(0.5f);
  dropout.eval();
  Tensor x = Tensor::full({3, 3}, 2.0f);
  EXPECT_TRUE(dropout(x).same(x));
}

}  // namespace
}  // namespace lucid::testing
