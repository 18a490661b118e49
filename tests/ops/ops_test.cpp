// Every op case through the front end (oneDNN) against the reference kernels, plus a few
// hand-computed values that keep the reference itself honest.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

#include "backend/kernels.h"
#include "lucid/ops.h"
#include "ops/op_cases.h"

namespace lucid::testing {
namespace {

Tensor random_tensor(const Shape& shape, std::mt19937& rng, float low, float high) {
  std::uniform_real_distribution<float> dist(low, high);
  Tensor t = Tensor::empty(shape);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = dist(rng);
  return t;
}

struct Comparison {
  double max_diff = 0.0, max_ref = 0.0;
};

Comparison compare(const Tensor& got, const Tensor& want) {
  Comparison c;
  const float* g = got.data<float>();
  const float* w = want.data<float>();
  for (int64_t i = 0; i < want.numel(); ++i) {
    c.max_ref = std::max(c.max_ref, double(std::abs(w[i])));
    // A NaN must fail, so it counts as an infinite difference.
    const double d = std::abs(double(g[i]) - w[i]);
    c.max_diff = std::max(c.max_diff, std::isnan(d) ? INFINITY : d);
  }
  return c;
}

bool is_exact(const std::string& op) {
  return op == "relu" || op == "max_pool2d" || op == "add" || op == "flatten";
}

class OpsTable : public ::testing::TestWithParam<OpCase> {};

TEST_P(OpsTable, FrontEndMatchesReference) {
  const OpCase& c = GetParam();
  std::mt19937 rng(std::hash<std::string>{}(c.name()) & 0xffffffffu);
  std::vector<Tensor> in;
  for (const Shape& s : c.inputs) in.push_back(random_tensor(s, rng, -c.scale, c.scale));
  const backend::Kernels& ref = backend::reference_kernels();
  const Tensor none;
  Tensor got, want = Tensor::empty(c.out);

  if (c.op == "conv2d") {
    const Tensor& bias = c.bias ? in[2] : none;
    got = ops::conv2d(in[0], in[1], bias, c.conv);
    ref.conv2d(in[0], in[1], bias, c.conv, want);
  } else if (c.op == "batch_norm") {
    const Shape channel{c.inputs[0][1]};
    Tensor mean = random_tensor(channel, rng, -1, 1), var = random_tensor(channel, rng, 0.1f, 2.0f);
    Tensor weight = c.bias ? random_tensor(channel, rng, -2, 2) : none;
    Tensor bias = c.bias ? random_tensor(channel, rng, -1, 1) : none;
    got = ops::batch_norm(in[0], mean, var, weight, bias, 1e-5f);
    ref.batch_norm(in[0], mean, var, weight, bias, 1e-5f, want);
  } else if (c.op == "relu") {
    got = ops::relu(in[0]);
    ref.relu(in[0], want);
  } else if (c.op == "max_pool2d") {
    got = ops::max_pool2d(in[0], c.pool);
    ref.max_pool2d(in[0], c.pool, want);
  } else if (c.op == "adaptive_avg_pool2d") {
    got = ops::adaptive_avg_pool2d(in[0], c.output_size);
    ref.adaptive_avg_pool2d(in[0], want);
  } else if (c.op == "linear") {
    const Tensor& bias = c.bias ? in[2] : none;
    got = ops::linear(in[0], in[1], bias);
    ref.linear(in[0], in[1], bias, want);
  } else if (c.op == "add") {
    got = ops::add(in[0], in[1]);
    ref.add(in[0], in[1], want);
  } else if (c.op == "flatten") {
    got = ops::flatten(in[0], c.axis);
    EXPECT_EQ(got.raw_data(), in[0].raw_data()) << "flatten must share storage";
    want = in[0].clone().reshape(c.out);
  } else if (c.op == "softmax") {
    got = ops::softmax(in[0], c.axis);
    ref.softmax(in[0], c.axis < 0 ? c.axis + int64_t(c.inputs[0].size()) : c.axis, want);
  } else {
    FAIL() << "unknown op in the table: " << c.op;
  }

  ASSERT_EQ(got.shape(), c.out) << "output shape inferred by the front end";
  const Comparison cmp = compare(got, want);
  const double tolerance = is_exact(c.op) ? 0.0 : 1e-4 * std::max(1.0, cmp.max_ref);
  EXPECT_LE(cmp.max_diff, tolerance) << c.name() << ": max |ref| " << cmp.max_ref;
  // Catches a table whose inputs make every output zero, which any broken kernel would match.
  if (want.numel() > 1) {
    EXPECT_GT(cmp.max_ref, 0.0) << c.name();
  }
}

INSTANTIATE_TEST_SUITE_P(Table, OpsTable, ::testing::ValuesIn(op_cases()),
                         [](const ::testing::TestParamInfo<OpCase>& info) {
                           std::string name = "c";  // appends, not operator+: gcc 12 warns falsely there
                           name.append(std::to_string(info.index)).append("_").append(info.param.name());
                           return name;
                         });

// Hand-computed values, checked on both kernel tables.
class OpsHandValues : public ::testing::TestWithParam<const backend::Kernels*> {};

void expect_values(const Tensor& y, const std::vector<float>& want) {
  ASSERT_EQ(y.numel(), int64_t(want.size()));
  const std::vector<float> got = y.to_vector();
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-6) << "element " << i;
}

TEST_P(OpsHandValues, Conv2d) {
  const backend::Kernels& k = *GetParam();
  Tensor x = Tensor::from_vector({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  Tensor y = Tensor::empty({1, 1, 2, 2});
  k.conv2d(x, Tensor::from_vector({1, 1, 2, 2}, {1, 0, 0, 1}), Tensor(), {}, y);
  expect_values(y, {6, 8, 12, 14});
  // Dilation 2 makes a 2x2 kernel touch the four corners.
  y = Tensor::empty({1, 1, 1, 1});
  k.conv2d(x, Tensor::full({1, 1, 2, 2}, 1.0f), Tensor::from_vector({1}, {0.5f}), {.dilation = {2, 2}}, y);
  expect_values(y, {20.5f});
  // Padding 1, stride 2: the corners see a 2x2 piece of the input.
  y = Tensor::empty({1, 1, 2, 2});
  k.conv2d(x, Tensor::full({1, 1, 3, 3}, 1.0f), Tensor(), {.stride = {2, 2}, .padding = {1, 1}}, y);
  expect_values(y, {12, 16, 24, 28});
  // Two groups: each output channel sees only its own input channel.
  y = Tensor::empty({1, 2, 1, 1});
  k.conv2d(Tensor::from_vector({1, 2, 1, 1}, {1, 2}), Tensor::from_vector({2, 1, 1, 1}, {3, 4}), Tensor(),
           {.groups = 2}, y);
  expect_values(y, {3, 8});
}

TEST_P(OpsHandValues, BatchNorm) {
  const backend::Kernels& k = *GetParam();
  Tensor y = Tensor::empty({1, 1, 1, 2});
  k.batch_norm(Tensor::from_vector({1, 1, 1, 2}, {1, 3}), Tensor::full({1}, 1), Tensor::full({1}, 4),
               Tensor::full({1}, 2), Tensor::full({1}, 1), 0.0f, y);
  expect_values(y, {1, 3});
}

TEST_P(OpsHandValues, Pooling) {
  const backend::Kernels& k = *GetParam();
  Tensor x = Tensor::from_vector({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  Tensor y = Tensor::empty({1, 1, 2, 2});
  k.max_pool2d(x, {.kernel = {3, 3}, .stride = {2, 2}, .padding = {1, 1}}, y);
  expect_values(y, {5, 6, 8, 9});
  // torch's windows for 5 -> 2 are [0,3) and [2,5); for 5 -> 3, [0,2), [1,4), [3,5).
  Tensor row = Tensor::from_vector({1, 1, 1, 5}, {1, 2, 3, 4, 5});
  y = Tensor::empty({1, 1, 1, 2});
  k.adaptive_avg_pool2d(row, y);
  expect_values(y, {2, 4});
  y = Tensor::empty({1, 1, 1, 3});
  k.adaptive_avg_pool2d(row, y);
  expect_values(y, {1.5f, 3, 4.5f});
  y = Tensor::empty({1, 1, 1, 1});
  k.adaptive_avg_pool2d(x, y);
  expect_values(y, {5});
}

TEST_P(OpsHandValues, LinearSoftmaxReluAdd) {
  const backend::Kernels& k = *GetParam();
  Tensor y = Tensor::empty({1, 2});
  k.linear(Tensor::from_vector({1, 2}, {1, 2}), Tensor::from_vector({2, 2}, {1, 1, 2, -1}),
           Tensor::from_vector({2}, {0.5f, 0}), y);
  expect_values(y, {3.5f, 0});
  k.softmax(Tensor::from_vector({1, 2}, {0, std::log(3.0f)}), 1, y);
  expect_values(y, {0.25f, 0.75f});
  k.softmax(Tensor::from_vector({1, 2}, {1000, 1000}), 1, y);
  expect_values(y, {0.5f, 0.5f});
  Tensor z = Tensor::empty({3});
  k.relu(Tensor::from_vector({3}, {-1, 0, 2}), z);
  expect_values(z, {0, 0, 2});
  k.add(Tensor::from_vector({3}, {1, 2, 3}), Tensor::from_vector({3}, {10, 20, 30}), z);
  expect_values(z, {11, 22, 33});
}

INSTANTIATE_TEST_SUITE_P(Kernels, OpsHandValues,
                         ::testing::Values(&backend::reference_kernels(), &backend::cpu_kernels()),
                         [](const ::testing::TestParamInfo<const backend::Kernels*>& info) {
                           return std::string(info.param->name);
                         });

// Primitives are cached per shape, but weights must be read afresh on every call.
TEST(Ops, ConvSeesWeightChangesBetweenCalls) {
  std::mt19937 rng(7);
  Tensor x = random_tensor({1, 64, 9, 9}, rng, -1, 1), w = random_tensor({64, 2, 3, 3}, rng, -1, 1);
  const ops::Conv2dOptions options{.padding = {1, 1}, .groups = 32};
  Tensor first = ops::conv2d(x, w, Tensor(), options);
  w.data<float>()[0] += 1.0f;
  Tensor second = ops::conv2d(x, w, Tensor(), options);
  Tensor want = Tensor::empty(second.shape());
  backend::reference_kernels().conv2d(x, w, Tensor(), options, want);
  EXPECT_LE(compare(second, want).max_diff, 1e-4);
  EXPECT_GT(compare(first, second).max_diff, 0.1);
}

TEST(Ops, ThreadCountDoesNotChangeResults) {
  std::mt19937 rng(11);
  Tensor x = random_tensor({2, 64, 15, 15}, rng, -1, 1), w = random_tensor({64, 2, 3, 3}, rng, -1, 1);
  const ops::Conv2dOptions options{.padding = {1, 1}, .groups = 32};
  ops::set_num_threads(1);
  Tensor one = ops::conv2d(x, w, Tensor(), options);
  ops::set_num_threads(0);
  Tensor all = ops::conv2d(x, w, Tensor(), options);
  EXPECT_LE(compare(one, all).max_diff, 1e-5);
}

TEST(Ops, EmptyBatchGivesEmptyOutput) {
  Tensor y = ops::conv2d(Tensor::empty({0, 3, 8, 8}), Tensor::zeros({4, 3, 3, 3}), Tensor(), {});
  EXPECT_EQ(y.shape(), (Shape{0, 4, 6, 6}));
}

}  // namespace
}  // namespace lucid::testing
