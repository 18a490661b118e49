// The backward of every op but conv2d, two ways:
//  - the reference backward kernels in F64 against finite differences of the reference forward
//    kernels (gradcheck.h), on grad_cases();
//  - the front ends in F32 through autograd (the cpu kernels and the nodes' wiring) against the
//    reference backward kernels, on grad_cases(), op_cases()'s ResNeXt shapes and the shapes
//    training ResNeXt on 28x28 images meets.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "autograd/gradcheck.h"
#include "backend/kernels.h"
#include "lucid/autograd.h"
#include "lucid/ops.h"
#include "ops/op_cases.h"

namespace lucid::testing {
namespace {

constexpr float kEps = 1e-5f, kMomentum = 0.1f;

// One case made concrete: the differentiable inputs in argument order, plus what is not
// differentiated (class labels; inference batch norm's statistics).
struct Inputs {
  std::vector<Tensor> values;
  Tensor labels, mean, var;
};

Inputs make_inputs(const OpCase& c) {
  std::mt19937 rng(std::hash<std::string>{}(c.name()) & 0xffffffffu);
  Inputs in;
  for (const Shape& s : c.inputs) in.values.push_back(random_tensor(s, rng, -c.scale, c.scale, DType::F64));
  const bool norm = c.op == "batch_norm" || c.op == "batch_norm_train";
  if (norm && c.bias) {
    const Shape channel{c.inputs[0][1]};
    in.values.push_back(random_tensor(channel, rng, -2, 2, DType::F64));
    in.values.push_back(random_tensor(channel, rng, -1, 1, DType::F64));
  }
  if (c.op == "batch_norm") {
    in.mean = random_tensor({c.inputs[0][1]}, rng, -1, 1, DType::F64);
    in.var = random_tensor({c.inputs[0][1]}, rng, 0.1, 2, DType::F64);
  }
  if (c.op == "cross_entropy") {
    const int64_t n = c.inputs[0][0], classes = c.inputs[0][1];
    std::uniform_int_distribution<int64_t> label(0, classes - 1);
    in.labels = Tensor::empty({n}, DType::I64);
    for (int64_t i = 0; i < n; ++i) in.labels.data<int64_t>()[i] = label(rng);
  }
  return in;
}

Inputs in_dtype(const Inputs& in, DType dtype) {
  Inputs out = in;
  for (Tensor& t : out.values) t = converted(t, dtype);
  if (in.mean.defined()) out.mean = converted(in.mean, dtype), out.var = converted(in.var, dtype);
  return out;
}

Tensor optional(const std::vector<Tensor>& values, size_t i) { return i < values.size() ? values[i] : Tensor(); }
int64_t positive_axis(const OpCase& c) { return c.axis < 0 ? c.axis + int64_t(c.inputs[0].size()) : c.axis; }

// The op through the kernels of table k, in the inputs' dtype.
Tensor run_forward(const backend::Kernels& k, const OpCase& c, const Inputs& in) {
  const std::vector<Tensor>& v = in.values;
  const DType dtype = v[0].dtype();
  Tensor y = Tensor::empty(c.out, dtype);
  if (c.op == "batch_norm_train") {
    Tensor mean = Tensor::empty({c.inputs[0][1]}, dtype), var = Tensor::empty({c.inputs[0][1]}, dtype);
    k.batch_norm_train(v[0], optional(v, 1), optional(v, 2), kEps, y, mean, var);
  } else if (c.op == "batch_norm") {
    k.batch_norm(v[0], in.mean, in.var, optional(v, 1), optional(v, 2), kEps, y);
  } else if (c.op == "relu") {
    k.relu(v[0], y);
  } else if (c.op == "max_pool2d") {
    k.max_pool2d(v[0], c.pool, y);
  } else if (c.op == "adaptive_avg_pool2d") {
    k.adaptive_avg_pool2d(v[0], y);
  } else if (c.op == "linear") {
    k.linear(v[0], v[1], optional(v, 2), y);
  } else if (c.op == "log_softmax") {
    k.log_softmax(v[0], positive_axis(c), y);
  } else if (c.op == "cross_entropy") {
    Tensor logp = Tensor::empty(c.inputs[0], dtype);
    k.log_softmax(v[0], 1, logp);
    k.nll_loss(logp, in.labels, c.smoothing, y);
  } else if (c.op == "add") {
    k.add(v[0], v[1], y);
  } else if (c.op == "mul") {
    k.mul(v[0], v[1], y);
  } else if (c.op == "flatten") {
    y = v[0].clone().reshape(c.out);
  } else {
    ADD_FAILURE() << "no forward for " << c.op;
  }
  return y;
}

// The gradient of every entry of in.values given dy, through the backward kernels of table k
// (add and flatten have none: their gradients are dy itself).
std::vector<Tensor> run_backward(const backend::Kernels& k, const OpCase& c, const Inputs& in, const Tensor& dy) {
  const std::vector<Tensor>& v = in.values;
  const DType dtype = dy.dtype();
  std::vector<Tensor> g;
  for (const Tensor& t : v) g.push_back(Tensor::empty(t.shape(), dtype));
  Tensor none;
  if (c.op == "batch_norm_train") {
    Tensor mean = Tensor::empty({c.inputs[0][1]}, dtype), var = Tensor::empty({c.inputs[0][1]}, dtype);
    Tensor y = Tensor::empty(c.out, dtype);
    k.batch_norm_train(v[0], optional(v, 1), optional(v, 2), kEps, y, mean, var);
    Tensor& dweight = v.size() > 1 ? g[1] : none;
    Tensor& dbias = v.size() > 1 ? g[2] : none;
    k.batch_norm_backward(v[0], dy, mean, var, optional(v, 1), kEps, g[0], dweight, dbias);
  } else if (c.op == "batch_norm") {
    // Fixed statistics: dx is batch_norm of dy with mean 0 and no bias; dweight and dbias are
    // the training backward's sums around the given mean.
    k.batch_norm(dy, Tensor::zeros(in.mean.shape(), dtype), in.var, optional(v, 1), Tensor(), kEps, g[0]);
    if (v.size() > 1) k.batch_norm_backward(v[0], dy, in.mean, in.var, v[1], kEps, none, g[1], g[2]);
  } else if (c.op == "relu") {
    k.relu_backward(run_forward(k, c, in), dy, g[0]);
  } else if (c.op == "max_pool2d") {
    k.max_pool2d_backward(v[0], dy, c.pool, g[0]);
  } else if (c.op == "adaptive_avg_pool2d") {
    k.adaptive_avg_pool2d_backward(dy, g[0]);
  } else if (c.op == "linear") {
    k.linear_backward(v[0], v[1], dy, g[0], g[1], v.size() > 2 ? g[2] : none);
  } else if (c.op == "log_softmax") {
    k.log_softmax_backward(run_forward(k, c, in), dy, positive_axis(c), g[0]);
  } else if (c.op == "cross_entropy") {
    Tensor logp = Tensor::empty(c.inputs[0], dtype), dlogp = Tensor::empty(c.inputs[0], dtype);
    k.log_softmax(v[0], 1, logp);
    k.nll_loss_backward(in.labels, c.smoothing, dy, dlogp);
    k.log_softmax_backward(logp, dlogp, 1, g[0]);
  } else if (c.op == "add") {
    g = {dy, dy};
  } else if (c.op == "mul") {
    k.mul(dy, v[1], g[0]);
    k.mul(dy, v[0], g[1]);
  } else if (c.op == "flatten") {
    g = {dy.clone().reshape(v[0].shape())};
  } else {
    ADD_FAILURE() << "no backward for " << c.op;
  }
  return g;
}

// The op through its front end (F32, recording a graph); batch_norm_train updates running.
Tensor run_front_end(const OpCase& c, const Inputs& in, Tensor& running_mean, Tensor& running_var) {
  const std::vector<Tensor>& v = in.values;
  if (c.op == "batch_norm_train")
    return ops::batch_norm_train(v[0], running_mean, running_var, optional(v, 1), optional(v, 2), kMomentum, kEps);
  if (c.op == "batch_norm") return ops::batch_norm(v[0], in.mean, in.var, optional(v, 1), optional(v, 2), kEps);
  if (c.op == "relu") return ops::relu(v[0]);
  if (c.op == "max_pool2d") return ops::max_pool2d(v[0], c.pool);
  if (c.op == "adaptive_avg_pool2d") return ops::adaptive_avg_pool2d(v[0], c.output_size);
  if (c.op == "linear") return ops::linear(v[0], v[1], optional(v, 2));
  if (c.op == "log_softmax") return ops::log_softmax(v[0], c.axis);
  if (c.op == "cross_entropy") return ops::cross_entropy(v[0], in.labels, c.smoothing);
  if (c.op == "add") return ops::add(v[0], v[1]);
  if (c.op == "mul") return ops::mul(v[0], v[1]);
  if (c.op == "flatten") return ops::flatten(v[0], c.axis);
  ADD_FAILURE() << "no front end for " << c.op;
  return Tensor();
}

Tensor random_like(const Shape& shape, const OpCase& c, DType dtype) {
  std::mt19937 rng(std::hash<std::string>{}(c.name() + "/dy") & 0xffffffffu);
  return random_tensor(shape, rng, -1, 1, dtype);
}

std::string case_name(const ::testing::TestParamInfo<OpCase>& info) {
  std::string name = "c";  // appends, not operator+: gcc 12 warns falsely there
  name.append(std::to_string(info.index)).append("_").append(info.param.name());
  return name;
}

// ---- F64 reference backward against finite differences ----

std::vector<OpCase> non_conv(std::vector<OpCase> cases) {
  std::erase_if(cases, [](const OpCase& c) { return c.op == "conv2d"; });
  return cases;
}

// Inference batch norm (fine-tuning with frozen statistics) is differentiable too.
std::vector<OpCase> gradient_cases() {
  std::vector<OpCase> cases = non_conv(grad_cases());
  cases.push_back(unary("batch_norm", {3, 4, 2, 2}, {3, 4, 2, 2}, -1, 1.0f, true));
  cases.push_back(unary("batch_norm", {4, 3}, {4, 3}));
  return cases;
}

class ReferenceBackward : public ::testing::TestWithParam<OpCase> {};

TEST_P(ReferenceBackward, MatchesFiniteDifferences) {
  const OpCase& c = GetParam();
  const backend::Kernels& ref = backend::reference_kernels();
  const Inputs in = make_inputs(c);
  const Tensor dy = random_like(c.out, c, DType::F64);
  const std::vector<Tensor> analytic = run_backward(ref, c, in, dy);
  const Function f = [&](const std::vector<Tensor>& values) {
    Inputs moved = in;
    moved.values = values;
    return run_forward(ref, c, moved);
  };
  for (size_t k = 0; k < in.values.size(); ++k) {
    const Tensor numeric = numeric_grad(f, in.values, k, dy);
    EXPECT_LT(relative_error(analytic[k], numeric), 1e-7) << c.name() << ", input " << k;
    double largest = 0.0;
    for (int64_t i = 0; i < numeric.numel(); ++i) largest = std::max(largest, std::abs(value_at(numeric, i)));
    // A gradient that is zero everywhere would let a kernel that writes nothing pass.
    EXPECT_GT(largest, 1e-3) << c.name() << ", input " << k;
  }
}

INSTANTIATE_TEST_SUITE_P(GradCases, ReferenceBackward, ::testing::ValuesIn(gradient_cases()), case_name);

// ---- F32 front ends with autograd against the reference backward kernels ----

// The shapes a ResNeXt-50 training step on 28x28 images meets (batch cut where the reference
// would be slow): batch norm after the stem and in stages 2-4, the stem's pool, the head.
std::vector<OpCase> training_shapes() {
  return {
      unary("batch_norm_train", {16, 64, 14, 14}, {16, 64, 14, 14}, -1, 2.0f, true),
      unary("batch_norm_train", {16, 256, 7, 7}, {16, 256, 7, 7}, -1, 1.0f, true),
      unary("batch_norm_train", {16, 512, 4, 4}, {16, 512, 4, 4}, -1, 1.0f, true),
      unary("batch_norm_train", {128, 2048, 1, 1}, {128, 2048, 1, 1}, -1, 1.0f, true),
      unary("batch_norm_train", {130, 100}, {130, 100}),  // rows with a partial channel block
      unary("relu", {16, 256, 7, 7}, {16, 256, 7, 7}),
      pool({16, 64, 14, 14}, {16, 64, 7, 7}, {.kernel = {3, 3}, .stride = {2, 2}, .padding = {1, 1}}),
      adaptive({128, 2048, 1, 1}, {1, 1}),
      linear({32, 2048}, {100, 2048}, true),
      {.op = "cross_entropy", .inputs = {{128, 10}}, .out = {}, .scale = 4.0f, .smoothing = 0.1f},
      {.op = "mul", .inputs = {{16, 256, 7, 7}, {16, 256, 7, 7}}, .out = {16, 256, 7, 7}},
  };
}

// Every differentiable case: grad_cases(), op_cases() (batch norm in both modes, softmax's
// cases as log_softmax) and the training shapes.
std::vector<OpCase> front_end_cases() {
  std::vector<OpCase> cases = gradient_cases();
  const std::set<std::string> differentiable{"batch_norm", "relu", "max_pool2d", "adaptive_avg_pool2d",
                                             "linear", "add", "flatten"};
  for (OpCase c : non_conv(op_cases())) {
    if (c.op == "softmax") c.op = "log_softmax";
    if (c.op != "log_softmax" && !differentiable.count(c.op)) continue;
    cases.push_back(c);
    if (c.op == "batch_norm") {
      c.op = "batch_norm_train";
      cases.push_back(c);
    }
  }
  for (const OpCase& c : training_shapes()) cases.push_back(c);
  return cases;
}

class FrontEndBackward : public ::testing::TestWithParam<OpCase> {};

TEST_P(FrontEndBackward, MatchesReferenceKernels) {
  const OpCase& c = GetParam();
  const backend::Kernels& ref = backend::reference_kernels();
  Inputs in = in_dtype(make_inputs(c), DType::F32);
  const Tensor dy = random_like(c.out, c, DType::F32);
  const std::vector<Tensor> want = run_backward(ref, c, in, dy);
  const Tensor want_y = run_forward(ref, c, in);

  for (Tensor& t : in.values) t.set_requires_grad();
  const int64_t channels = c.inputs[0].size() > 1 ? c.inputs[0][1] : 1;
  Tensor running_mean = Tensor::full({channels}, 0.5f), running_var = Tensor::full({channels}, 2.0f);
  Tensor y = run_front_end(c, in, running_mean, running_var);
  ASSERT_EQ(y.shape(), c.out);
  ASSERT_TRUE(y.requires_grad()) << c.name() << ": the front end recorded no node";
  EXPECT_LT(relative_error(y, want_y), 1e-5) << c.name() << ": forward";
  y.backward(dy);
  for (size_t k = 0; k < in.values.size(); ++k) {
    const Tensor got = in.values[k].grad();
    ASSERT_TRUE(got.defined()) << c.name() << ": no gradient reached input " << k;
    EXPECT_LT(relative_error(got, want[k]), 1e-5) << c.name() << ", input " << k;
  }

  if (c.op == "batch_norm_train") {
    // running = 0.9 running + 0.1 batch, the variance made unbiased: n / (n - 1).
    const double n = double(in.values[0].numel() / channels);
    Tensor mean = Tensor::empty({channels}), var = Tensor::empty({channels}), scratch = Tensor::empty(c.out);
    ref.batch_norm_train(in.values[0], optional(in.values, 1), optional(in.values, 2), kEps, scratch, mean, var);
    for (int64_t ch = 0; ch < channels; ++ch) {
      EXPECT_NEAR(running_mean.data<float>()[ch], 0.9 * 0.5 + 0.1 * mean.data<float>()[ch], 1e-6) << ch;
      EXPECT_NEAR(running_var.data<float>()[ch], 0.9 * 2.0 + 0.1 * var.data<float>()[ch] * n / (n - 1), 1e-5)
          << ch;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, FrontEndBackward, ::testing::ValuesIn(front_end_cases()), case_name);

// ---- Graph-level behaviour of the nodes ----

TEST(OpsGrad, NoGradModeRecordsNothing) {
  Tensor x = Tensor::full({2, 3}, 1.0f).set_requires_grad();
  Tensor w = Tensor::full({4, 3}, 0.5f).set_requires_grad();
  autograd::NoGradGuard guard;
  EXPECT_FALSE(ops::linear(x, w, Tensor()).requires_grad());
  EXPECT_FALSE(ops::relu(x).requires_grad());
}

TEST(OpsGrad, FrozenInputsGetNoGradient) {
  // Only the weight requires grad: x gets nothing, and the weight's gradient is dy^T x.
  Tensor x = Tensor::from_vector({2, 2}, {1, 2, 3, 4});
  Tensor w = Tensor::from_vector({1, 2}, {1, 1}).set_requires_grad();
  Tensor y = ops::linear(x, w, Tensor());
  y.backward(Tensor::from_vector({2, 1}, {1, 10}));
  EXPECT_FALSE(x.grad().defined());
  EXPECT_EQ(w.grad().to_vector(), (std::vector<float>{31, 42}));
}

TEST(OpsGrad, BatchNormTrainWithoutRunningStatistics) {
  // torch's track_running_stats=False: batch statistics only, nothing to update.
  Tensor x = Tensor::from_vector({4, 1}, {0, 0, 4, 4}).set_requires_grad(), none;
  Tensor y = ops::batch_norm_train(x, none, none, Tensor(), Tensor(), 0.1f, 0.0f);
  EXPECT_EQ(y.to_vector(), (std::vector<float>{-1, -1, 1, 1}));  // mean 2, variance 4
  y.backward(Tensor::full({4, 1}, 1.0f));
  EXPECT_EQ(x.grad().to_vector(), std::vector<float>(4, 0.0f));  // a shift of x changes nothing
}

TEST(OpsGrad, ResidualAddSumsBothPaths) {
  // y = relu(x) + x: the gradient reaching x is dy * (x > 0) + dy.
  Tensor x = Tensor::from_vector({4}, {-1, 2, -3, 4}).set_requires_grad();
  Tensor y = ops::add(ops::relu(x), x);
  y.backward(Tensor::full({4}, 1.0f));
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{1, 2, 1, 2}));
}

TEST(OpsGrad, CrossEntropyIsAScalarLossWithTwoNodes) {
  Tensor logits = Tensor::from_vector({2, 3}, {1, 2, 3, 0, 0, 0}).set_requires_grad();
  Tensor labels = Tensor::empty({2}, DType::I64);
  labels.data<int64_t>()[0] = 2, labels.data<int64_t>()[1] = 0;
  Tensor loss = ops::cross_entropy(logits, labels);
  EXPECT_EQ(loss.shape(), Shape{});
  ASSERT_TRUE(loss.grad_fn());
  EXPECT_STREQ(loss.grad_fn()->name(), "NllLossBackward");
  loss.backward();
  // Each row's gradient is (softmax - onehot) / N: it sums to zero.
  const std::vector<float> g = logits.grad().to_vector();
  EXPECT_NEAR(g[0] + g[1] + g[2], 0.0, 1e-6);
  EXPECT_NEAR(g[3], (1.0 / 3 - 1) / 2, 1e-6);
}

}  // namespace
}  // namespace lucid::testing
