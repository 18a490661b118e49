// ResNeXt (Xie et al. 2017): ResNet whose bottleneck 3x3 conv is split into `cardinality`
// groups of `base_width`-scaled width. As in lucid: ResNeXt(block, layers, cardinality,
// base_width, num_classes = 1000), and six factories.
#pragma once

#include "lucid/models/resnet.h"

namespace lucid::models {

class ResNeXt : public ResNet {
 public:
  ResNeXt(BlockType block, std::vector<int64_t> layers, int64_t cardinality, int64_t base_width,
          int64_t num_classes = 1000);
  ResNeXt(BlockType block, std::vector<int64_t> layers, int64_t cardinality, int64_t base_width,
          const ModelOptions& options);
  std::string type_name() const override { return "ResNeXt"; }

  int64_t cardinality() const { return cardinality_; }
  int64_t base_width() const { return base_width_; }

 private:
  int64_t cardinality_, base_width_;
};

std::shared_ptr<ResNeXt> resnext_50_32x4d(const ModelOptions& options = {});
std::shared_ptr<ResNeXt> resnext_101_32x4d(const ModelOptions& options = {});
std::shared_ptr<ResNeXt> resnext_101_32x8d(const ModelOptions& options = {});
std::shared_ptr<ResNeXt> resnext_101_32x16d(const ModelOptions& options = {});
std::shared_ptr<ResNeXt> resnext_101_32x32d(const ModelOptions& options = {});
std::shared_ptr<ResNeXt> resnext_101_64x4d(const ModelOptions& options = {});

// The same with only the class count given, as lucid's factories take it.
inline std::shared_ptr<ResNeXt> resnext_50_32x4d(int64_t num_classes) { return resnext_50_32x4d({.num_classes = num_classes}); }
inline std::shared_ptr<ResNeXt> resnext_101_32x4d(int64_t num_classes) { return resnext_101_32x4d({.num_classes = num_classes}); }
inline std::shared_ptr<ResNeXt> resnext_101_32x8d(int64_t num_classes) { return resnext_101_32x8d({.num_classes = num_classes}); }
inline std::shared_ptr<ResNeXt> resnext_101_32x16d(int64_t num_classes) { return resnext_101_32x16d({.num_classes = num_classes}); }
inline std::shared_ptr<ResNeXt> resnext_101_32x32d(int64_t num_classes) { return resnext_101_32x32d({.num_classes = num_classes}); }
inline std::shared_ptr<ResNeXt> resnext_101_64x4d(int64_t num_classes) { return resnext_101_64x4d({.num_classes = num_classes}); }

}  // namespace lucid::models
