// Weight files into models: whichever format (.safetensors, torch.save .pth) and key naming
// (torchvision/timm, lucid, DataParallel) a file uses, and what model a file was written by.
#pragma once

#include <memory>
#include <string>

#include "lucid/io/tensor_source.h"
#include "lucid/models/registry.h"
#include "lucid/models/resnet.h"

namespace lucid::models {

// A weight file of either format, its keys renamed to torchvision's (io::torchvision_key).
std::shared_ptr<const io::TensorSource> open_weights(const std::string& path);

// The architecture a state dict implies: depth from the block counts, cardinality and base width
// from the grouped conv's weight, classes from the classifier, in_channels from the first conv.
struct Architecture {
  ModelEntry entry;  // entry.name is the registered name, or "" when no registered model matches
  ModelOptions options;
  std::string describe() const;  // "resnext_50_32x4d (10 classes, 1 input channel)"
};
Architecture infer_architecture(const io::TensorSource& weights, const std::string& path);

// Builds the model a weight file describes and loads it (strictly). With a model name, that
// model is built and must agree with the file (else ValueError naming the difference).
std::shared_ptr<ResNet> load_model(const std::string& path, const std::string& model_name = "");

struct WeightsOptions {
  bool strict = true;
  // When the file's classifier has another class count than the model, keep the model's fresh
  // head and load only the backbone (fine-tuning onto new classes).
  bool new_head = false;
};

struct WeightsReport {
  nn::LoadReport load;
  bool head_replaced = false;  // the file's fc was skipped for the model's own
};

// Reads a weight file into the model. Throws on a strict mismatch, naming the first offending
// key and both shapes.
WeightsReport load_weights(ResNet& model, const std::string& path, const WeightsOptions& options = {});
WeightsReport load_weights(ResNet& model, const io::TensorSource& weights, const WeightsOptions& options = {});

// The classifier rows of a state dict (fc.weight), or 0 if it has none.
int64_t num_classes_of(const io::TensorSource& weights);

}  // namespace lucid::models
