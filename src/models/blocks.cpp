#include "lucid/error.h"
#include "lucid/models/resnet.h"

namespace lucid::models {

using nn::BatchNorm2d;
using nn::Conv2d;

static std::shared_ptr<Conv2d> conv(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t groups = 1) {
  return std::make_shared<Conv2d>(
      in, out, nn::Conv2dOptions{.kernel = kernel, .stride = stride, .padding = kernel / 2, .groups = groups, .bias = false});
}

static Tensor residual(nn::Sequential* downsample, const Tensor& x, const Tensor& out) {
  return ops::relu(ops::add(out, downsample ? (*downsample)(x) : x));
}

BasicBlock::BasicBlock(int64_t in_channels, int64_t planes, int64_t stride, std::shared_ptr<nn::Sequential> downsample) {
  conv1_ = add("conv1", conv(in_channels, planes, 3, stride));
  bn1_ = add("bn1", std::make_shared<BatchNorm2d>(planes));
  relu_ = add("relu", std::make_shared<nn::ReLU>());
  conv2_ = add("conv2", conv(planes, planes, 3, 1));
  bn2_ = add("bn2", std::make_shared<BatchNorm2d>(planes));
  if (downsample) downsample_ = add("downsample", std::move(downsample));
}

Tensor BasicBlock::forward(const Tensor& x) {
  Tensor out = (*relu_)((*bn1_)((*conv1_)(x)));
  out = (*bn2_)((*conv2_)(out));
  return residual(downsample_.get(), x, out);
}

Bottleneck::Bottleneck(int64_t in_channels, int64_t planes, int64_t stride, int64_t groups, int64_t base_width,
                       std::shared_ptr<nn::Sequential> downsample) {
  int64_t width = planes * base_width / 64 * groups;  // floor(planes * base_width / 64) * groups
  conv1_ = add("conv1", conv(in_channels, width, 1, 1));
  bn1_ = add("bn1", std::make_shared<BatchNorm2d>(width));
  conv2_ = add("conv2", conv(width, width, 3, stride, groups));
  bn2_ = add("bn2", std::make_shared<BatchNorm2d>(width));
  conv3_ = add("conv3", conv(width, planes * 4, 1, 1));
  bn3_ = add("bn3", std::make_shared<BatchNorm2d>(planes * 4));
  relu_ = add("relu", std::make_shared<nn::ReLU>());
  if (downsample) downsample_ = add("downsample", std::move(downsample));
}

Tensor Bottleneck::forward(const Tensor& x) {
  Tensor out = (*relu_)((*bn1_)((*conv1_)(x)));
  out = (*relu_)((*bn2_)((*conv2_)(out)));
  out = (*bn3_)((*conv3_)(out));
  return residual(downsample_.get(), x, out);
}

}  // namespace lucid::models
