// torchvision's training augmentations, each split into drawing its parameters (from an Rng)
// and applying them, so the pixels can be checked against torchvision for fixed parameters.
// Images are 8-bit RGB (image.h); IDX images are (C, H, W) F32 tensors.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "lucid/data/image.h"
#include "lucid/data/rng.h"
#include "lucid/tensor.h"

namespace lucid::data {

// torchvision's crop parameters (i, j, h, w): rows top..top+height, columns left..left+width.
struct CropBox {
  int64_t top = 0, left = 0, height = 0, width = 0;
  bool operator==(const CropBox&) const = default;
};

// RandomResizedCrop.get_params: up to 10 draws of an area fraction in `scale` and a log-uniform
// aspect ratio in `ratio`, the first box that fits placed uniformly; else the central crop
// clamped to `ratio`. Always inside the image.
CropBox random_resized_crop_box(int64_t width, int64_t height, const std::array<double, 2>& scale,
                                const std::array<double, 2>& ratio, Rng& rng);
// PIL's Image.crop for a box inside the image. Throws ValueError otherwise.
Image crop(const Image& image, const CropBox& box);
// PIL's transpose(FLIP_LEFT_RIGHT).
Image hflip(const Image& image);

// ToTensor of 8-bit gray pixels: (1, height, width), x / 255.
Tensor gray_to_tensor(const uint8_t* pixels, int64_t height, int64_t width);
// RandomCrop(padding=pad) for a crop at (top, left) of the zero-padded image, both in [0, 2 * pad]:
// (C, H, W) -> (C, H, W).
Tensor padded_crop(const Tensor& image, int64_t pad, int64_t top, int64_t left);
// F.hflip on (C, H, W).
Tensor hflip(const Tensor& image);
// Normalize in place: (x - mean[c]) / std[c] in float32, as torchvision's sub_ then div_.
void normalize_(Tensor& image, const std::vector<float>& mean, const std::vector<float>& std);

}  // namespace lucid::data
