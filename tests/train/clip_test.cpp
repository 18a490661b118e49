#include "lucid/train/clip.h"

#include <gtest/gtest.h>

#include "lucid/error.h"
#include "train/torch_reference.h"

namespace lucid::train {
namespace {

using namespace torch_test;

// Parameters with gradients of known values; the last has none (skipped, as torch skips it).
std::vector<Tensor> params_with_grads(float scale) {
  std::vector<Tensor> params;
  const std::vector<Shape> shapes = {{3, 4}, {4}, {2, 2, 3}};
  for (size_t k = 0; k < shapes.size(); ++k) {
    Tensor p = Tensor::zeros(shapes[k]).set_requires_grad();
    std::vector<float> g(size_t(numel(shapes[k])));
    for (size_t i = 0; i < g.size(); ++i) g[i] = scale * std::sin(float(i * 7 + k * 3 + 1));
    p.set_grad(Tensor::from_vector(shapes[k], g));
    params.push_back(p);
  }
  params.push_back(Tensor::zeros({5}).set_requires_grad());
  return params;
}

TEST(ClipGradNorm, MatchesTorch) {
  const std::vector<std::pair<float, double>> cases = {{1.0f, 1.0}, {1.0f, 100.0}, {0.01f, 1e-3}, {30.0f, 5.0}};
  nlohmann::json specs = nlohmann::json::array(), torch;
  for (auto [scale, max_norm] : cases) {
    nlohmann::json grads = nlohmann::json::array();
    for (const Tensor& p : params_with_grads(scale))
      if (p.grad().defined()) grads.push_back({{"shape", p.shape()}, {"values", p.grad().to_vector()}});
    specs.push_back({{"kind", "clip"}, {"grads", grads}, {"max_norm", max_norm}});
  }
  ASSERT_TRUE(run_torch(specs, torch));
  for (size_t c = 0; c < cases.size(); ++c) {
    SCOPED_TRACE(specs[c]["max_norm"].dump());
    std::vector<Tensor> params = params_with_grads(cases[c].first);
    double norm = clip_grad_norm(params, cases[c].second);
    EXPECT_NEAR(norm, torch[c]["norm"].get<double>(), 1e-6 * norm);
    for (size_t k = 0; k < 3; ++k) EXPECT_TRUE(close(params[k].grad().to_vector(), torch[c]["grads"][k], 1e-6)) << k;
    EXPECT_FALSE(params[3].grad().defined());
  }
}

TEST(ClipGradNorm, NonFiniteNormIsReturned) {
  std::vector<Tensor> params = params_with_grads(1.0f);
  params[0].grad().data<float>()[0] = INFINITY;
  EXPECT_TRUE(std::isinf(clip_grad_norm(params, 1.0)));
  EXPECT_THROW(clip_grad_norm(params, 0.0), ValueError);
}

}  // namespace
}  // namespace lucid::train
