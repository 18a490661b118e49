#include <algorithm>
#include <cmath>

#include "lucid/error.h"
#include "lucid/models/resnet.h"
#include "lucid/random.h"

namespace lucid::models {

const char* block_name(BlockType block) { return block == BlockType::Basic ? "BasicBlock" : "Bottleneck"; }

static int64_t expansion(BlockType block) { return block == BlockType::Basic ? 1 : 4; }

ResNet::ResNet(BlockType block, std::vector<int64_t> layers, int64_t groups, int64_t width_per_group,
               const ModelOptions& options)
    : block_(block), layers_(std::move(layers)), groups_(groups), width_per_group_(width_per_group), options_(options) {
  if (layers_.size() != 4)
    throw ValueError("ResNet", cat("layers must list 4 stage depths, got ", layers_.size()));
  for (int64_t n : layers_)
    if (n < 1) throw ValueError("ResNet", cat("every stage needs at least one block, got ", n));
  if (groups < 1 || width_per_group < 1)
    throw ValueError("ResNet", cat("cardinality (", groups, ") and base_width (", width_per_group, ") must be positive"));
  if (block == BlockType::Basic && (groups != 1 || width_per_group != 64))
    throw ValueError("ResNet", cat("BasicBlock only supports cardinality 1 and base_width 64, got ", groups, " and ",
                                   width_per_group));
  if (options.num_classes < 1) throw ValueError("ResNet", cat("num_classes (", options.num_classes, ") must be positive"));
  if (options.in_channels < 1) throw ValueError("ResNet", cat("in_channels (", options.in_channels, ") must be positive"));

  conv1_ = add("conv1", std::make_shared<nn::Conv2d>(
                            options.in_channels, 64, nn::Conv2dOptions{.kernel = 7, .stride = 2, .padding = 3, .bias = false}));
  bn1_ = add("bn1", std::make_shared<nn::BatchNorm2d>(64));
  relu_ = add("relu", std::make_shared<nn::ReLU>());
  maxpool_ = add("maxpool", std::make_shared<nn::MaxPool2d>(3, 2, 1));
  const int64_t planes[4] = {64, 128, 256, 512};
  for (int i = 0; i < 4; ++i)
    stages_[i] = add("layer" + std::to_string(i + 1), make_stage(planes[i], layers_[i], i == 0 ? 1 : 2));
  avgpool_ = add("avgpool", std::make_shared<nn::AdaptiveAvgPool2d>(ops::Pair{1, 1}));
  if (options.dropout > 0.0f) dropout_ = add("dropout", std::make_shared<nn::Dropout>(options.dropout));
  fc_ = add("fc", std::make_shared<nn::Linear>(num_features(), options.num_classes));
  initialize();
}

std::shared_ptr<nn::Sequential> ResNet::make_stage(int64_t planes, int64_t blocks, int64_t stride) {
  auto stage = std::make_shared<nn::Sequential>();
  int64_t out_channels = planes * expansion(block_);
  for (int64_t i = 0; i < blocks; ++i) {
    int64_t s = i == 0 ? stride : 1;
    std::shared_ptr<nn::Sequential> downsample;
    if (s != 1 || in_planes_ != out_channels) {
      downsample = std::make_shared<nn::Sequential>();
      downsample->push_back(std::make_shared<nn::Conv2d>(
          in_planes_, out_channels, nn::Conv2dOptions{.kernel = 1, .stride = s, .bias = false}));
      downsample->push_back(std::make_shared<nn::BatchNorm2d>(out_channels));
    }
    if (block_ == BlockType::Basic)
      stage->push_back(std::make_shared<BasicBlock>(in_planes_, planes, s, downsample));
    else
      stage->push_back(std::make_shared<Bottleneck>(in_planes_, planes, s, groups_, width_per_group_, downsample));
    in_planes_ = out_channels;
  }
  return stage;
}

// torchvision's initialisation: kaiming normal (fan_out, relu gain) for convs, BN weight 1 and
// bias 0, the Linear's torch default; with zero_init_residual, each block's last BN weight 0.
void ResNet::initialize() {
  if (nn::SkipInit::active()) return;
  Generator& rng = default_generator();
  for (auto& [_, module] : named_modules()) {
    if (auto* conv = dynamic_cast<nn::Conv2d*>(module)) {
      const Shape& w = conv->weight.shape();
      float std = std::sqrt(2.0f / static_cast<float>(w[0] * w[2] * w[3]));
      rng.normal_(conv->weight, 0.0f, std);
    }
    if (options_.zero_init_residual) {
      std::shared_ptr<nn::BatchNorm2d> last;
      if (auto* b = dynamic_cast<Bottleneck*>(module)) last = b->last_bn();
      if (auto* b = dynamic_cast<BasicBlock*>(module)) last = b->last_bn();
      if (last) std::fill_n(last->weight.data<float>(), last->weight.numel(), 0.0f);
    }
  }
}

int64_t ResNet::num_features() const { return 512 * expansion(block_); }

nn::Sequential& ResNet::stage(int i) const {
  if (i < 1 || i > 4) throw ValueError("ResNet", cat("stage ", i, " does not exist (1 to 4)"));
  return *stages_[i - 1];
}

std::array<FeatureInfo, 5> ResNet::feature_info() const {
  int64_t e = expansion(block_);
  return {{{"stem", 64, 2}, {"layer1", 64 * e, 4}, {"layer2", 128 * e, 8}, {"layer3", 256 * e, 16}, {"layer4", 512 * e, 32}}};
}

ResNet::Features ResNet::forward_features(const Tensor& x) {
  if (x.dim() != 4 || x.size(1) != options_.in_channels)
    throw ShapeError(type_name(), cat("expects input (N, ", options_.in_channels, ", H, W), got ", to_string(x.shape())));
  Features f;
  f.stem = (*relu_)((*bn1_)((*conv1_)(x)));
  f.layer1 = (*stages_[0])((*maxpool_)(f.stem));
  f.layer2 = (*stages_[1])(f.layer1);
  f.layer3 = (*stages_[2])(f.layer2);
  f.layer4 = (*stages_[3])(f.layer3);
  return f;
}

Tensor ResNet::forward_head(const Tensor& layer4) {
  Tensor pooled = ops::flatten((*avgpool_)(layer4), 1);
  if (dropout_) pooled = (*dropout_)(pooled);
  return (*fc_)(pooled);
}

Tensor ResNet::forward(const Tensor& x) { return forward_head(forward_features(x).layer4); }

void ResNet::reset_classifier(int64_t num_classes) {
  if (num_classes < 1) throw ValueError("ResNet", cat("num_classes (", num_classes, ") must be positive"));
  fc_ = std::make_shared<nn::Linear>(num_features(), num_classes);
  replace("fc", fc_);
  options_.num_classes = num_classes;
}

}  // namespace lucid::models
