#include "lucid/models/resnext.h"

#include "lucid/models/registry.h"

namespace lucid::models {

ResNeXt::ResNeXt(BlockType block, std::vector<int64_t> layers, int64_t cardinality, int64_t base_width,
                 int64_t num_classes)
    : ResNeXt(block, std::move(layers), cardinality, base_width, ModelOptions{.num_classes = num_classes}) {}

ResNeXt::ResNeXt(BlockType block, std::vector<int64_t> layers, int64_t cardinality, int64_t base_width,
                 const ModelOptions& options)
    : ResNet(block, std::move(layers), cardinality, base_width, options), cardinality_(cardinality), base_width_(base_width) {}

static std::shared_ptr<ResNeXt> build(const char* name, const ModelOptions& options) {
  return std::static_pointer_cast<ResNeXt>(create_model(name, options));
}

std::shared_ptr<ResNeXt> resnext_50_32x4d(const ModelOptions& o) { return build("resnext_50_32x4d", o); }
std::shared_ptr<ResNeXt> resnext_101_32x4d(const ModelOptions& o) { return build("resnext_101_32x4d", o); }
std::shared_ptr<ResNeXt> resnext_101_32x8d(const ModelOptions& o) { return build("resnext_101_32x8d", o); }
std::shared_ptr<ResNeXt> resnext_101_32x16d(const ModelOptions& o) { return build("resnext_101_32x16d", o); }
std::shared_ptr<ResNeXt> resnext_101_32x32d(const ModelOptions& o) { return build("resnext_101_32x32d", o); }
std::shared_ptr<ResNeXt> resnext_101_64x4d(const ModelOptions& o) { return build("resnext_101_64x4d", o); }

}  // namespace lucid::models
