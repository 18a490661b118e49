// The ImageNet-1k class names, in the index order of torchvision's and timm's classifiers.
#pragma once

#include <array>

namespace lucid::data {

const std::array<const char*, 1000>& imagenet_classes();

}  // namespace lucid::data
