// Checkpoint key names -> torchvision's. torchvision and timm name ResNet tensors alike
// (conv1, bn1, layerN.i.convK, fc); lucid's own checkpoints say stem.0 / stem.1 / classifier
// (classifier.1 behind a dropout), and DataParallel prefixes every key with "module.".
#pragma once

#include <string>

namespace lucid::io {

std::string torchvision_key(const std::string& key);
// The inverse for lucid's own naming: conv1 -> stem.0, bn1 -> stem.1, fc -> classifier.
std::string lucid_key(const std::string& torchvision_key);

}  // namespace lucid::io
