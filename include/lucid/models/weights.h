// Loading a weight file into a model, whichever naming the file uses (see io/key_map.h).
#pragma once

#include <string>

#include "lucid/models/resnet.h"

namespace lucid::models {

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

// Reads a .safetensors file (F32, F16 or BF16) into the model. Throws on a strict mismatch,
// naming the first offending key and both shapes.
WeightsReport load_weights(ResNet& model, const std::string& path, const WeightsOptions& options = {});

// The classifier rows stored in a weight file (fc.weight under any naming), or 0 if none.
int64_t weights_num_classes(const std::string& path);

}  // namespace lucid::models
