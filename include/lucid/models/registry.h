// Models by name: "resnext_50_32x4d", "resnet_50", "wide_resnet_50_2", ...
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lucid/models/resnet.h"

namespace lucid::models {

struct ModelEntry {
  std::string name;
  BlockType block;
  std::vector<int64_t> layers;
  int64_t groups;           // cardinality
  int64_t width_per_group;  // base width
};

// Every registered model, in a stable order (ResNeXt first).
const std::vector<ModelEntry>& model_entries();
// Names matching a shell-style pattern ("resnext_101_*"); a pattern without wildcards matches
// as a substring; "" matches all.
std::vector<std::string> list_models(const std::string& pattern = "");
// Throws ValueError naming the unknown model and the closest registered names.
const ModelEntry& find_model(const std::string& name);
std::shared_ptr<ResNet> create_model(const std::string& name, const ModelOptions& options = {});

}  // namespace lucid::models
