// conv2d's backward, two ways:
//  - the reference backward kernels in F64 against finite differences of the reference forward
//    (gradcheck.h), on grad_cases()'s convolutions;
//  - the front end in F32 through autograd (the oneDNN kernels and ConvBackward's wiring) against
//    the reference backward kernels, on grad_cases() and op_cases()'s ResNeXt shapes, where
//    oneDNN takes its blocked and grouped paths.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "autograd/gradcheck.h"
#include "backend/kernels.h"
#include "lucid/autograd.h"
#include "lucid/ops.h"
#include "ops/op_cases.h"

namespace lucid::testing {
namespace {

std::vector<OpCase> convs(std::vector<OpCase> cases) {
  std::erase_if(cases, [](const OpCase& c) { return c.op != "conv2d"; });
  return cases;
}

// x, weight and (when the case has one) bias, then dy, uniform in [-1, 1].
struct ConvInputs {
  std::vector<Tensor> values;
  Tensor dy;
  Tensor bias() const { return values.size() > 2 ? values[2] : Tensor(); }
};

ConvInputs make_inputs(const OpCase& c, DType dtype) {
  std::mt19937 rng(std::hash<std::string>{}(c.name()) & 0xffffffffu);
  ConvInputs in;
  for (const Shape& s : c.inputs) in.values.push_back(random_tensor(s, rng, -1, 1, dtype));
  in.dy = random_tensor(c.out, rng, -1, 1, dtype);
  return in;
}

// {dx, dweight, dbias (when the case has a bias)} from the reference kernels, in the inputs' dtype.
std::vector<Tensor> reference_backward(const OpCase& c, const ConvInputs& in) {
  const backend::Kernels& ref = backend::reference_kernels();
  const DType dtype = in.dy.dtype();
  Tensor dx = Tensor::empty(c.inputs[0], dtype), dweight = Tensor::empty(c.inputs[1], dtype);
  Tensor dbias = c.bias ? Tensor::empty(c.inputs[2], dtype) : Tensor();
  ref.conv2d_backward_data(in.dy, in.values[1], c.conv, dx);
  ref.conv2d_backward_weights(in.values[0], in.dy, c.conv, dweight, dbias);
  std::vector<Tensor> grads{dx, dweight};
  if (c.bias) grads.push_back(dbias);
  return grads;
}

double largest_magnitude(const Tensor& t) {
  double largest = 0.0;
  for (int64_t i = 0; i < t.numel(); ++i) largest = std::max(largest, std::abs(value_at(t, i)));
  return largest;
}

std::string case_name(const ::testing::TestParamInfo<OpCase>& info) {
  std::string name = "c";  // appends, not operator+: gcc 12 warns falsely there
  name.append(std::to_string(info.index)).append("_").append(info.param.name());
  return name;
}

// ---- F64 reference backward against finite differences ----

class ConvReferenceBackward : public ::testing::TestWithParam<OpCase> {};

TEST_P(ConvReferenceBackward, MatchesFiniteDifferences) {
  const OpCase& c = GetParam();
  const ConvInputs in = make_inputs(c, DType::F64);
  const std::vector<Tensor> analytic = reference_backward(c, in);
  const Function f = [&](const std::vector<Tensor>& values) {
    Tensor y = Tensor::empty(c.out, DType::F64);
    backend::reference_kernels().conv2d(values[0], values[1], values.size() > 2 ? values[2] : Tensor(), c.conv, y);
    return y;
  };
  for (size_t k = 0; k < in.values.size(); ++k) {
    const Tensor numeric = numeric_grad(f, in.values, k, in.dy);
    EXPECT_LT(relative_error(analytic[k], numeric), 1e-7) << c.name() << ", input " << k;
    // A gradient that is zero everywhere would let a kernel that writes nothing pass.
    EXPECT_GT(largest_magnitude(numeric), 1e-3) << c.name() << ", input " << k;
  }
}

INSTANTIATE_TEST_SUITE_P(GradCases, ConvReferenceBackward, ::testing::ValuesIn(convs(grad_cases())), case_name);

// ---- F32 front end with autograd against the reference backward kernels ----

class ConvFrontEndBackward : public ::testing::TestWithParam<OpCase> {};

TEST_P(ConvFrontEndBackward, MatchesReferenceKernels) {
  const OpCase& c = GetParam();
  ConvInputs in = make_inputs(c, DType::F32);
  const std::vector<Tensor> want = reference_backward(c, in);

  for (Tensor& t : in.values) t.set_requires_grad();
  Tensor y = ops::conv2d(in.values[0], in.values[1], in.bias(), c.conv);
  ASSERT_TRUE(y.grad_fn()) << c.name() << ": conv2d recorded no node";
  EXPECT_STREQ(y.grad_fn()->name(), "ConvBackward");
  y.backward(in.dy);
  for (size_t k = 0; k < in.values.size(); ++k) {
    const Tensor got = in.values[k].grad();
    ASSERT_TRUE(got.defined()) << c.name() << ": no gradient reached input " << k;
    EXPECT_LT(relative_error(got, want[k]), 1e-5) << c.name() << ", input " << k;
  }
}

INSTANTIATE_TEST_SUITE_P(GradCases, ConvFrontEndBackward, ::testing::ValuesIn(convs(grad_cases())), case_name);
INSTANTIATE_TEST_SUITE_P(OpCases, ConvFrontEndBackward, ::testing::ValuesIn(convs(op_cases())), case_name);

// ---- Only the wanted gradients ----

// A grouped, strided case with a bias, run with one subset of {x, weight, bias} requiring grad.
class ConvWantedGradients : public ::testing::TestWithParam<std::array<bool, 3>> {};

TEST_P(ConvWantedGradients, OnlyInputsThatRequireGradGetOne) {
  const std::array<bool, 3> wanted = GetParam();
  const OpCase c = conv({2, 8, 6, 6}, {8, 2, 3, 3}, {2, 8, 3, 3}, {.stride = {2, 2}, .padding = {1, 1}, .groups = 4},
                        true);
  ConvInputs in = make_inputs(c, DType::F32);
  const std::vector<Tensor> want = reference_backward(c, in);
  for (size_t k = 0; k < 3; ++k) in.values[k].set_requires_grad(wanted[k]);

  Tensor y = ops::conv2d(in.values[0], in.values[1], in.bias(), c.conv);
  y.backward(in.dy);
  for (size_t k = 0; k < 3; ++k) {
    const Tensor got = in.values[k].grad();
    ASSERT_EQ(got.defined(), wanted[k]) << "input " << k;
    if (wanted[k]) {
      EXPECT_LT(relative_error(got, want[k]), 1e-5) << "input " << k;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Subsets, ConvWantedGradients,
                         ::testing::Values(std::array{false, true, true}, std::array{true, false, false},
                                           std::array{false, false, true}, std::array{true, true, false}));

TEST(ConvGrad, NoGradModeRecordsNothing) {
  Tensor x = Tensor::full({1, 2, 3, 3}, 1.0f).set_requires_grad();
  Tensor w = Tensor::full({2, 2, 1, 1}, 0.5f).set_requires_grad();
  autograd::NoGradGuard guard;
  EXPECT_FALSE(ops::conv2d(x, w, Tensor(), {}).requires_grad());
}

TEST(ConvGrad, EmptyBatchGivesZeroWeightGradients) {
  Tensor x = Tensor::empty({0, 4, 5, 5}).set_requires_grad();
  Tensor w = Tensor::full({6, 2, 3, 3}, 1.0f).set_requires_grad();
  Tensor b = Tensor::full({6}, 1.0f).set_requires_grad();
  Tensor y = ops::conv2d(x, w, b, {.padding = {1, 1}, .groups = 2});
  y.backward(Tensor::empty(y.shape()));
  EXPECT_EQ(x.grad().shape(), x.shape());
  EXPECT_EQ(w.grad().to_vector(), std::vector<float>(w.numel(), 0.0f));
  EXPECT_EQ(b.grad().to_vector(), std::vector<float>(6, 0.0f));
}

}  // namespace
}  // namespace lucid::testing
