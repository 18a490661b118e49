// torchvision's evaluation transforms on PIL images, reproduced exactly: Resize (PIL's
// antialiased resampling), CenterCrop (torchvision's rounding), ToTensor, Normalize.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "lucid/data/image.h"
#include "lucid/tensor.h"

namespace lucid::data {

enum class Interpolation { Bilinear, Bicubic };

// The most pixels a resize may make, PIL's decompression-bomb limit as DecodeOptions uses it: a
// small 1 x 65000 image, resized to 256 on its shorter side, would make 4.3 G pixels (13 GB).
constexpr int64_t kMaxResizedPixels = 178956970;

// PIL's Image.resize((width, height), BILINEAR | BICUBIC) on an RGB image: byte for byte.
// ValueError for an output of more than max_pixels.
Image resize(const Image& image, int64_t width, int64_t height, Interpolation interpolation,
             int64_t max_pixels = kMaxResizedPixels);
// torchvision's Resize(size) with an int size: the shorter side becomes `size`, the longer
// int(size * long / short).
Image resize_shorter(const Image& image, int64_t size, Interpolation interpolation,
                     int64_t max_pixels = kMaxResizedPixels);
// torchvision's CenterCrop: top = int(round((H - h) / 2)) with Python's round-half-even;
// zero-pads first where the crop is larger than the image, as torchvision does.
Image center_crop(const Image& image, int64_t width, int64_t height);
// ToTensor then Normalize: (3, H, W) float32, (pixel / 255 - mean) / std per channel.
Tensor to_tensor(const Image& image, const std::array<float, 3>& mean, const std::array<float, 3>& std);

struct Preprocess {
  int64_t resize = 256;  // shorter side
  int64_t crop = 224;
  Interpolation interpolation = Interpolation::Bilinear;
  std::array<float, 3> mean{0.485f, 0.456f, 0.406f};
  std::array<float, 3> std{0.229f, 0.224f, 0.225f};
  int64_t channels = 3;  // 1: grayscale models (PIL's convert("L") first; mean[0], std[0])
  int64_t max_resized_pixels = kMaxResizedPixels;  // refuse images whose resize would make more
};

// tv_v1 (256 -> 224 bilinear), tv_v2 (232 -> 224 bilinear), timm_gluon (256 -> 224 bicubic),
// timm_wsl (256 -> 224 bilinear). Throws ValueError listing the names for an unknown one.
Preprocess preset(const std::string& name);
std::vector<std::string> preset_names();
// PIL's convert("L") (ITU-R 601-2 luma, its fixed-point rounding), kept as RGB with three equal
// channels so the RGB resampling applies unchanged.
Image to_gray(const Image& image);
// [to_gray ->] resize_shorter -> center_crop -> to_tensor: (channels, crop, crop).
Tensor preprocess(const Image& image, const Preprocess& p);

}  // namespace lucid::data
