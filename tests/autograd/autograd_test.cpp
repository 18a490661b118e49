// The reverse pass itself, with hand-made nodes (y = a * x) so it is tested apart from any op:
// gradients summed over every path, accumulated across passes, recording switched off, the
// graph freed once spent, and clear errors.
#include <gtest/gtest.h>

#include "backend/kernels.h"
#include "lucid/autograd.h"
#include "lucid/error.h"

namespace lucid {
namespace {

struct ScaleBackward : autograd::Node {
  float a;
  explicit ScaleBackward(float scale) : a(scale) {}
  const char* name() const override { return "ScaleBackward"; }
  std::vector<Tensor> backward(const Tensor& dy) override {
    Tensor dx = Tensor::empty(dy.shape());
    backend::reference_kernels().axpby(a, dy, 0.0f, dx);
    return {dx};
  }
};

// y = a * x, recorded like an op front end records.
Tensor scale(const Tensor& x, float a) {
  Tensor y = Tensor::empty(x.shape());
  backend::reference_kernels().axpby(a, x, 0.0f, y);
  if (autograd::needs_grad({&x})) autograd::record(y, std::make_shared<ScaleBackward>(a), {x});
  return y;
}

// y = x1 + x2 with a backward that hands the same gradient tensor to both inputs.
struct SumBackward : autograd::Node {
  const char* name() const override { return "SumBackward"; }
  std::vector<Tensor> backward(const Tensor& dy) override { return {dy, dy}; }
};
Tensor sum(const Tensor& a, const Tensor& b) {
  Tensor y = a.clone();
  backend::reference_kernels().axpby(1.0f, b, 1.0f, y);
  if (autograd::needs_grad({&a, &b})) autograd::record(y, std::make_shared<SumBackward>(), {a, b});
  return y;
}

Tensor leaf(std::vector<float> values) {
  Tensor t = Tensor::from_vector({int64_t(values.size())}, values);
  t.set_requires_grad();
  return t;
}

TEST(Autograd, ChainRule) {
  Tensor x = leaf({1, 2});
  Tensor y = scale(scale(x, 3.0f), -2.0f);
  EXPECT_TRUE(y.requires_grad());
  ASSERT_NE(y.grad_fn(), nullptr);
  EXPECT_STREQ(y.grad_fn()->name(), "ScaleBackward");
  y.backward(Tensor::from_vector({2}, {1.0f, 10.0f}));
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{-6.0f, -60.0f}));
}

TEST(Autograd, DiamondSumsBothPaths) {
  Tensor x = leaf({1});
  Tensor h = scale(x, 2.0f);                      // used twice below
  Tensor y = sum(scale(h, 3.0f), scale(h, 5.0f));  // y = 6x + 10x
  y.backward();
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{16.0f}));
}

TEST(Autograd, SharedGradientTensorIsNotAliasedIntoLeaves) {
  // SumBackward gives one tensor to both leaves; accumulating into one must not change the other.
  Tensor a = leaf({1}), b = leaf({1});
  sum(a, b).backward();
  sum(scale(a, 4.0f), b).backward();
  EXPECT_EQ(a.grad().to_vector(), (std::vector<float>{5.0f}));
  EXPECT_EQ(b.grad().to_vector(), (std::vector<float>{2.0f}));
}

TEST(Autograd, AccumulatesAcrossPassesUntilCleared) {
  Tensor x = leaf({1, 1});
  scale(x, 2.0f).backward(Tensor::full({2}, 1.0f));
  scale(x, 3.0f).backward(Tensor::full({2}, 1.0f));
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{5.0f, 5.0f}));
  x.set_grad(Tensor());
  EXPECT_FALSE(x.grad().defined());
}

TEST(Autograd, OnlyInputsThatRequireGradGetOne) {
  Tensor x = leaf({1});
  Tensor c = Tensor::from_vector({1}, {7});
  sum(x, c).backward();
  EXPECT_TRUE(x.grad().defined());
  EXPECT_FALSE(c.grad().defined());
  EXPECT_FALSE(c.requires_grad());
}

TEST(Autograd, NoGradGuardRecordsNothing) {
  Tensor x = leaf({1});
  {
    autograd::NoGradGuard no_grad;
    EXPECT_FALSE(autograd::grad_enabled());
    Tensor y = scale(x, 2.0f);
    EXPECT_FALSE(y.requires_grad());
    EXPECT_EQ(y.grad_fn(), nullptr);
  }
  EXPECT_TRUE(autograd::grad_enabled());
}

TEST(Autograd, ReshapeIsDifferentiable) {
  Tensor x = Tensor::from_vector({2, 2}, {1, 2, 3, 4});
  x.set_requires_grad();
  Tensor y = scale(x.reshape({4}), 2.0f);
  y.backward(Tensor::from_vector({4}, {1, 2, 3, 4}));
  EXPECT_EQ(x.grad().shape(), (Shape{2, 2}));
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{2, 4, 6, 8}));
}

TEST(Autograd, DetachCutsHistory) {
  Tensor x = leaf({1});
  Tensor y = scale(x, 2.0f).detach();
  EXPECT_FALSE(y.requires_grad());
  EXPECT_THROW(y.backward(), ValueError);
}

TEST(Autograd, GraphIsFreedOnceSpent) {
  Tensor x = leaf({1});
  std::weak_ptr<autograd::Node> inner;
  Tensor y;
  {
    Tensor h = scale(x, 2.0f);
    inner = h.grad_fn();
    y = scale(h, 3.0f);
  }
  EXPECT_FALSE(inner.expired());  // y's node holds h, h holds its node
  y.backward();
  EXPECT_TRUE(inner.expired());
  EXPECT_TRUE(y.grad_fn()->inputs.empty());
}

TEST(Autograd, ClearErrors) {
  Tensor x = leaf({1, 2});
  Tensor y = scale(x, 2.0f);
  EXPECT_THROW(y.backward(), ShapeError);                              // not one element
  EXPECT_THROW(y.backward(Tensor::full({3}, 1.0f)), ShapeError);       // wrong gradient shape
  EXPECT_THROW(y.set_requires_grad(), ValueError);                     // not a leaf
  EXPECT_THROW(Tensor::zeros({2}, DType::I64).set_requires_grad(), ValueError);
  EXPECT_THROW(Tensor::full({1}, 1.0f).backward(), ValueError);       // requires no grad
  try {
    y.set_requires_grad();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("ScaleBackward"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace lucid
