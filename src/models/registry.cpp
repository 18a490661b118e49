#include "lucid/models/registry.h"

#include <fnmatch.h>

#include <algorithm>

#include "lucid/error.h"
#include "lucid/models/resnext.h"

namespace lucid::models {

// Variants are data: one line per model.
const std::vector<ModelEntry>& model_entries() {
  using enum BlockType;
  static const std::vector<ModelEntry> entries = {
      {"resnext_50_32x4d", Bottleneck, {3, 4, 6, 3}, 32, 4},
      {"resnext_101_32x4d", Bottleneck, {3, 4, 23, 3}, 32, 4},
      {"resnext_101_32x8d", Bottleneck, {3, 4, 23, 3}, 32, 8},
      {"resnext_101_32x16d", Bottleneck, {3, 4, 23, 3}, 32, 16},
      {"resnext_101_32x32d", Bottleneck, {3, 4, 23, 3}, 32, 32},
      {"resnext_101_64x4d", Bottleneck, {3, 4, 23, 3}, 64, 4},
      {"resnet_18", Basic, {2, 2, 2, 2}, 1, 64},
      {"resnet_34", Basic, {3, 4, 6, 3}, 1, 64},
      {"resnet_50", Bottleneck, {3, 4, 6, 3}, 1, 64},
      {"resnet_101", Bottleneck, {3, 4, 23, 3}, 1, 64},
      {"resnet_152", Bottleneck, {3, 8, 36, 3}, 1, 64},
      {"wide_resnet_50_2", Bottleneck, {3, 4, 6, 3}, 1, 128},
      {"wide_resnet_101_2", Bottleneck, {3, 4, 23, 3}, 1, 128},
      // Small images (Fashion-MNIST, CIFAR): one block per stage.
      {"resnext_14_8x4d", Bottleneck, {1, 1, 1, 1}, 8, 4},
  };
  return entries;
}

std::vector<std::string> list_models(const std::string& pattern) {
  bool glob = pattern.find_first_of("*?[") != std::string::npos;
  std::vector<std::string> names;
  for (const auto& e : model_entries())
    if (glob ? fnmatch(pattern.c_str(), e.name.c_str(), 0) == 0 : e.name.find(pattern) != std::string::npos)
      names.push_back(e.name);
  return names;
}

static size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = up;
    }
  }
  return row[b.size()];
}

const ModelEntry& find_model(const std::string& name) {
  for (const auto& e : model_entries())
    if (e.name == name) return e;
  std::vector<std::pair<size_t, std::string>> ranked;
  for (const auto& e : model_entries()) ranked.emplace_back(edit_distance(name, e.name), e.name);
  std::sort(ranked.begin(), ranked.end());
  std::string suggestions;
  for (size_t i = 0; i < 3 && i < ranked.size(); ++i) suggestions += (i ? ", " : "") + ranked[i].second;
  throw ValueError("create_model", cat("unknown model '", name, "'; did you mean: ", suggestions, "?"));
}

std::shared_ptr<ResNet> create_model(const std::string& name, const ModelOptions& options) {
  const ModelEntry& e = find_model(name);
  if (e.name.rfind("resnext", 0) == 0)
    return std::make_shared<ResNeXt>(e.block, e.layers, e.groups, e.width_per_group, options);
  return std::make_shared<ResNet>(e.block, e.layers, e.groups, e.width_per_group, options);
}

}  // namespace lucid::models
