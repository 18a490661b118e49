// ResNet (He et al. 2016) as torchvision builds it, with the two knobs ResNeXt and Wide ResNet
// turn: groups (cardinality) and width_per_group (base width) of the bottleneck's 3x3 conv.
// Child names follow torchvision, so its state_dict keys load as they are.
#pragma once

#include <array>
#include <memory>
#include <vector>

#include "lucid/nn/layers.h"

namespace lucid::models {

enum class BlockType { Basic, Bottleneck };
const char* block_name(BlockType block);

struct ModelOptions {
  int64_t num_classes = 1000;
  int64_t in_channels = 3;          // 1 for grayscale stems
  float dropout = 0.0f;             // before the classifier (lucid's later option)
  bool zero_init_residual = false;  // zero each block's last BN weight, so blocks start as identity
};

// conv3x3 -> bn -> relu -> conv3x3 -> bn, + identity -> relu.  (expansion 1)
class BasicBlock : public nn::Module {
 public:
  BasicBlock(int64_t in_channels, int64_t planes, int64_t stride, std::shared_ptr<nn::Sequential> downsample);
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "BasicBlock"; }
  std::shared_ptr<nn::BatchNorm2d> last_bn() const { return bn2_; }

 private:
  std::shared_ptr<nn::Conv2d> conv1_, conv2_;
  std::shared_ptr<nn::BatchNorm2d> bn1_, bn2_;
  std::shared_ptr<nn::ReLU> relu_;
  std::shared_ptr<nn::Sequential> downsample_;
};

// conv1x1 -> bn -> relu -> grouped conv3x3 (stride) -> bn -> relu -> conv1x1 -> bn,
// + identity -> relu. Inner width floor(planes * base_width / 64) * groups; expansion 4.
class Bottleneck : public nn::Module {
 public:
  Bottleneck(int64_t in_channels, int64_t planes, int64_t stride, int64_t groups, int64_t base_width,
             std::shared_ptr<nn::Sequential> downsample);
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Bottleneck"; }
  std::shared_ptr<nn::BatchNorm2d> last_bn() const { return bn3_; }

 private:
  std::shared_ptr<nn::Conv2d> conv1_, conv2_, conv3_;
  std::shared_ptr<nn::BatchNorm2d> bn1_, bn2_, bn3_;
  std::shared_ptr<nn::ReLU> relu_;
  std::shared_ptr<nn::Sequential> downsample_;
};

// One feature map of forward_features: its channel count and its stride relative to the input.
struct FeatureInfo {
  const char* name;
  int64_t channels;
  int64_t stride;
};

class ResNet : public nn::Module {
 public:
  // The stem output (after conv-bn-relu, before max-pool) and the four stage outputs.
  struct Features {
    Tensor stem, layer1, layer2, layer3, layer4;
  };

  ResNet(BlockType block, std::vector<int64_t> layers, int64_t groups, int64_t width_per_group,
         const ModelOptions& options = {});

  // x (N, in_channels, H, W) -> logits (N, num_classes).
  Tensor forward(const Tensor& x) override;
  Features forward_features(const Tensor& x);
  // Pooled, flattened final features -> logits.
  Tensor forward_head(const Tensor& layer4);
  std::string type_name() const override { return "ResNet"; }

  // stem, layer1 .. layer4: channels and strides (4/8/16/32 for the stages).
  std::array<FeatureInfo, 5> feature_info() const;
  // A new, freshly initialised classifier for another class count; the backbone is kept.
  void reset_classifier(int64_t num_classes);

  BlockType block() const { return block_; }
  const std::vector<int64_t>& layers() const { return layers_; }  // blocks per stage
  nn::Sequential& stage(int i) const;                              // layer1 .. layer4 as 1 .. 4
  const ModelOptions& options() const { return options_; }
  int64_t num_classes() const { return options_.num_classes; }
  int64_t num_features() const;  // channels into the classifier

 private:
  std::shared_ptr<nn::Sequential> make_stage(int64_t planes, int64_t blocks, int64_t stride);
  void initialize();

  BlockType block_;
  std::vector<int64_t> layers_;
  int64_t groups_, width_per_group_;
  ModelOptions options_;
  int64_t in_planes_ = 64;  // channels flowing into the next stage while building
  std::shared_ptr<nn::Conv2d> conv1_;
  std::shared_ptr<nn::BatchNorm2d> bn1_;
  std::shared_ptr<nn::ReLU> relu_;
  std::shared_ptr<nn::MaxPool2d> maxpool_;
  std::array<std::shared_ptr<nn::Sequential>, 4> stages_;
  std::shared_ptr<nn::AdaptiveAvgPool2d> avgpool_;
  std::shared_ptr<nn::Dropout> dropout_;
  std::shared_ptr<nn::Linear> fc_;
};

}  // namespace lucid::models
