#include "lucid/models/weights.h"

#include <algorithm>
#include <filesystem>

#include "lucid/error.h"
#include "lucid/io/key_map.h"
#include "lucid/io/safetensors.h"
#include "lucid/io/torch_checkpoint.h"

namespace lucid::models {

// A training checkpoint (train/checkpoint.h) keeps the model under "model."; the optimizer and
// EMA tensors beside it are not weights.
static std::string checkpoint_model_key(const std::string& key) {
  return key.rfind("model.", 0) == 0 ? key.substr(6) : std::string();
}

// torch.save's usual names. The format is told by the file's first bytes; the name only picks
// which reader reports a file that is neither (or missing), so that the error names the right one.
static bool named_like_torch_file(const std::string& path) {
  const std::string ext = std::filesystem::path(path).extension().string();
  return ext == ".pth" || ext == ".pt" || ext == ".bin" || ext == ".ckpt" || ext == ".tar";
}

std::shared_ptr<const io::TensorSource> open_weights(const std::string& path) {
  if (io::is_torch_checkpoint(path) || named_like_torch_file(path))
    return std::make_shared<io::RenamedSource>(io::open_torch_checkpoint(path), io::torchvision_key);
  io::SafetensorsFile file = io::SafetensorsFile::open(path);
  const auto& meta = file.metadata();
  const bool training_state = meta.count("format") && meta.at("format") == "lucid.training_state";
  auto source = std::make_shared<io::SafetensorsSource>(std::move(file));
  return std::make_shared<io::RenamedSource>(source, training_state ? checkpoint_model_key : io::torchvision_key);
}

static bool is_head(const std::string& key) { return key.rfind("fc.", 0) == 0; }

int64_t num_classes_of(const io::TensorSource& weights) {
  for (const auto& key : weights.keys())
    if (key == "fc.weight") return weights.shape(key).at(0);
  return 0;
}

WeightsReport load_weights(ResNet& model, const std::string& path, const WeightsOptions& options) {
  return load_weights(model, *open_weights(path), options);
}

WeightsReport load_weights(ResNet& model, const io::TensorSource& source, const WeightsOptions& options) {
  WeightsReport report;
  int64_t file_classes = num_classes_of(source);
  report.head_replaced = options.new_head && file_classes != 0 && file_classes != model.num_classes();
  if (!report.head_replaced) {
    report.load = model.load_state_dict(source, options.strict);
    return report;
  }
  // The head stays as initialised; the backbone is held to the strict rule before loading.
  // `source` outlives this call, so the view borrows it (a no-op deleter) rather than owning it.
  io::RenamedSource backbone(std::shared_ptr<const io::TensorSource>(&source, [](const io::TensorSource*) {}),
                             [](const std::string& key) { return is_head(key) ? std::string() : key; });
  report.load = model.check_state_dict(backbone);
  std::erase_if(report.load.missing, is_head);
  if (options.strict) nn::Module::throw_if_incomplete(report.load, "load_weights");
  model.load_state_dict(backbone, false);
  return report;
}

}  // namespace lucid::models
