#include "lucid/models/weights.h"

#include "lucid/error.h"
#include "lucid/io/key_map.h"
#include "lucid/io/safetensors.h"

namespace lucid::models {

static std::shared_ptr<const io::TensorSource> open_renamed(const std::string& path,
                                                            const std::function<bool(const std::string&)>& keep) {
  auto file = std::make_shared<io::SafetensorsSource>(io::SafetensorsFile::open(path));
  return std::make_shared<io::RenamedSource>(file, [&](const std::string& key) {
    std::string name = io::torchvision_key(key);
    return keep(name) ? name : std::string();
  });
}

static bool is_head(const std::string& key) { return key.rfind("fc.", 0) == 0; }

int64_t weights_num_classes(const std::string& path) {
  auto source = open_renamed(path, [](const std::string&) { return true; });
  for (const auto& key : source->keys())
    if (key == "fc.weight") return source->shape(key).at(0);
  return 0;
}

WeightsReport load_weights(ResNet& model, const std::string& path, const WeightsOptions& options) {
  WeightsReport report;
  int64_t file_classes = weights_num_classes(path);
  report.head_replaced = options.new_head && file_classes != 0 && file_classes != model.num_classes();
  auto source = open_renamed(path, [&](const std::string& key) { return !(report.head_replaced && is_head(key)); });
  if (!report.head_replaced) {
    report.load = model.load_state_dict(*source, options.strict);
    return report;
  }
  // The head stays as initialised; the backbone is held to the strict rule before loading.
  report.load = model.check_state_dict(*source);
  std::erase_if(report.load.missing, is_head);
  if (options.strict) nn::Module::throw_if_incomplete(report.load, "load_weights");
  model.load_state_dict(*source, false);
  return report;
}

}  // namespace lucid::models
