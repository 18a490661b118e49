// The layers ResNet-family models are built from. Constructors initialise parameters as
// torch does by default; models re-initialise where torchvision does (models/init.h).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lucid/nn/module.h"
#include "lucid/ops.h"
#include "lucid/random.h"

namespace lucid::nn {

// While a SkipInit lives (on this thread), new layers leave their weights undrawn: for models
// whose every weight is about to be loaded from a file, or that only count parameters. The
// memory is not even touched until then.
class SkipInit {
 public:
  SkipInit();
  ~SkipInit();
  SkipInit(const SkipInit&) = delete;
  SkipInit& operator=(const SkipInit&) = delete;
  static bool active();

 private:
  bool outer_;
};

struct Conv2dOptions {
  int64_t kernel = 1;
  int64_t stride = 1;
  int64_t padding = 0;
  int64_t dilation = 1;
  int64_t groups = 1;
  bool bias = true;
};

class Conv2d : public Module {
 public:
  Conv2d(int64_t in_channels, int64_t out_channels, const Conv2dOptions& options);
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Conv2d"; }
  int64_t macs(const Shape& output) const override;

  Tensor weight;  // (out, in / groups, k, k)
  Tensor bias;    // (out) or undefined
  const ops::Conv2dOptions& options() const { return options_; }

 private:
  ops::Conv2dOptions options_;
};

class BatchNorm2d : public Module {
 public:
  explicit BatchNorm2d(int64_t channels, float eps = 1e-5f, float momentum = 0.1f);
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "BatchNorm2d"; }

  Tensor weight, bias;                                // parameters, (C)
  Tensor running_mean, running_var;                   // buffers, (C)
  Tensor num_batches_tracked;                         // buffer, I64 scalar
  float eps() const { return eps_; }
  float momentum() const { return momentum_; }

 private:
  float eps_, momentum_;
};

class Linear : public Module {
 public:
  Linear(int64_t in_features, int64_t out_features, bool bias = true);
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Linear"; }
  int64_t macs(const Shape& output) const override;

  Tensor weight;  // (out, in)
  Tensor bias;    // (out) or undefined
};

class ReLU : public Module {
 public:
  Tensor forward(const Tensor& x) override { return ops::relu(x); }
  std::string type_name() const override { return "ReLU"; }
};

class MaxPool2d : public Module {
 public:
  MaxPool2d(int64_t kernel, int64_t stride, int64_t padding);
  Tensor forward(const Tensor& x) override { return ops::max_pool2d(x, options_); }
  std::string type_name() const override { return "MaxPool2d"; }

 private:
  ops::Pool2dOptions options_;
};

class AdaptiveAvgPool2d : public Module {
 public:
  explicit AdaptiveAvgPool2d(ops::Pair output_size) : output_size_(output_size) {}
  Tensor forward(const Tensor& x) override { return ops::adaptive_avg_pool2d(x, output_size_); }
  std::string type_name() const override { return "AdaptiveAvgPool2d"; }

 private:
  ops::Pair output_size_;
};

class Flatten : public Module {
 public:
  Tensor forward(const Tensor& x) override { return ops::flatten(x, 1); }
  std::string type_name() const override { return "Flatten"; }
};

// Zeroes each value with probability p in training mode (scaling the rest by 1/(1-p));
// the identity in eval mode.
class Dropout : public Module {
 public:
  explicit Dropout(float p, uint64_t seed = 0);
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Dropout"; }
  float p() const { return p_; }
  Generator& generator() { return generator_; }  // its state goes into training checkpoints

 private:
  float p_;
  Generator generator_;
};

// Children named "0", "1", ... run in order.
class Sequential : public Module {
 public:
  Sequential() = default;
  explicit Sequential(std::vector<std::shared_ptr<Module>> modules);
  void push_back(std::shared_ptr<Module> module);
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Sequential"; }
  size_t size() const { return children().size(); }
  Module& operator[](size_t i) const { return *children().at(i).second; }
};

}  // namespace lucid::nn
