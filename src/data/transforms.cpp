// torchvision 0.14's eval transforms on PIL images (transforms/functional.py); resize is in resample.cpp.
#include "lucid/data/transforms.h"

#include <algorithm>
#include <cstring>

#include "lucid/error.h"

namespace lucid::data {

namespace {

void check_image(const char* op, const Image& image) {
  if (image.width <= 0 || image.height <= 0 || image.pixels.size() != size_t(image.width * image.height * 3))
    throw ValueError(op, cat("the image is empty or inconsistent: ", image.width, "x", image.height, " with ",
                             image.pixels.size(), " bytes"));
}

// Python's round(d / 2) for d >= 0: halves go to the even neighbour.
int64_t half_round_even(int64_t d) {
  int64_t q = d / 2;
  return d % 2 != 0 && q % 2 != 0 ? q + 1 : q;
}

struct NamedPreset {
  const char* name;
  Preprocess preprocess;
};

const NamedPreset kPresets[] = {
    {"tv_v1", {256, 224, Interpolation::Bilinear}},
    {"tv_v2", {232, 224, Interpolation::Bilinear}},
    {"timm_gluon", {256, 224, Interpolation::Bicubic}},
    {"timm_wsl", {256, 224, Interpolation::Bilinear}},
};

}  // namespace

Image resize_shorter(const Image& image, int64_t size, Interpolation interpolation, int64_t max_pixels) {
  check_image("resize_shorter", image);
  if (size <= 0 || size > (int64_t{1} << 24))
    throw ValueError("resize_shorter", cat("size must be 1 to 2^24, got ", size));
  int64_t shorter = std::min(image.width, image.height), longer = std::max(image.width, image.height);
  // int(size * long / short): Python's int / int is the correctly rounded quotient, and so is
  // this double division, whose operands are exact (the product stays below 2^53).
  auto new_long = static_cast<int64_t>(static_cast<double>(size * longer) / static_cast<double>(shorter));
  bool portrait = image.width <= image.height;
  int64_t width = portrait ? size : new_long, height = portrait ? new_long : size;
  if (width == image.width && height == image.height) return image;  // torchvision returns the image as is
  return resize(image, width, height, interpolation, max_pixels);
}

Image center_crop(const Image& image, int64_t width, int64_t height) {
  check_image("center_crop", image);
  if (width <= 0 || height <= 0) throw ValueError("center_crop", cat("crop must be positive, got ", width, "x", height));
  // torchvision pads with zeros to at least the crop (left/top get the smaller half), then crops
  // at round((padded - crop) / 2); both are expressed here as one offset into the original.
  int64_t pad_left = width > image.width ? (width - image.width) / 2 : 0;
  int64_t pad_top = height > image.height ? (height - image.height) / 2 : 0;
  int64_t padded_width = std::max(width, image.width), padded_height = std::max(height, image.height);
  int64_t left = half_round_even(padded_width - width) - pad_left;
  int64_t top = half_round_even(padded_height - height) - pad_top;

  Image out{width, height, std::vector<uint8_t>(size_t(width * height * 3), 0)};
  int64_t x0 = std::max<int64_t>(0, -left), x1 = std::min(width, image.width - left);
  for (int64_t y = std::max<int64_t>(0, -top); y < std::min(height, image.height - top); ++y)
    std::memcpy(&out.pixels[size_t((y * width + x0) * 3)], &image.pixels[size_t(((y + top) * image.width + x0 + left) * 3)],
                size_t((x1 - x0) * 3));
  return out;
}

Tensor to_tensor(const Image& image, const std::array<float, 3>& mean, const std::array<float, 3>& std) {
  check_image("to_tensor", image);
  for (float s : std)
    if (s == 0.0f) throw ValueError("to_tensor", cat("std must be nonzero, got (", std[0], ", ", std[1], ", ", std[2], ")"));
  int64_t plane = image.width * image.height;
  Tensor tensor = Tensor::empty({3, image.height, image.width});
  float* dst = tensor.data<float>();
  // float32 throughout, in torchvision's order: x.float().div(255), then sub_(mean).div_(std).
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t i = 0; i < plane; ++i) {
      float value = static_cast<float>(image.pixels[size_t(i * 3 + c)]) / 255.0f;
      dst[c * plane + i] = (value - mean[c]) / std[c];
    }
  return tensor;
}

Preprocess preset(const std::string& name) {
  for (const NamedPreset& p : kPresets)
    if (name == p.name) return p.preprocess;
  std::string known;
  for (const std::string& n : preset_names()) known += (known.empty() ? "" : ", ") + n;
  throw ValueError("preset", cat("unknown preset '", name, "'; known: ", known));
}

std::vector<std::string> preset_names() {
  std::vector<std::string> names;
  for (const NamedPreset& p : kPresets) names.emplace_back(p.name);
  return names;
}

Image to_gray(const Image& image) {
  check_image("to_gray", image);
  Image out = image;
  for (size_t i = 0; i < out.pixels.size(); i += 3) {
    const uint8_t* rgb = &image.pixels[i];
    // Pillow's Convert.c: L24(rgb) >> 16.
    const auto l = uint8_t((rgb[0] * 19595 + rgb[1] * 38470 + rgb[2] * 7471 + 0x8000) >> 16);
    out.pixels[i] = out.pixels[i + 1] = out.pixels[i + 2] = l;
  }
  return out;
}

Tensor preprocess(const Image& image, const Preprocess& p) {
  if (p.channels != 1 && p.channels != 3)
    throw ValueError("preprocess", cat("images have 1 or 3 channels, not ", p.channels));
  Image gray_image;
  if (p.channels == 1) gray_image = to_gray(image);
  const Image& source = p.channels == 1 ? gray_image : image;
  const Image resized = resize_shorter(source, p.resize, p.interpolation, p.max_resized_pixels);
  Tensor rgb = to_tensor(center_crop(resized, p.crop, p.crop), p.mean, p.std);
  if (p.channels == 3) return rgb;
  Tensor gray = Tensor::empty({1, p.crop, p.crop});
  std::copy_n(rgb.data<float>(), gray.numel(), gray.data<float>());
  return gray;
}

}  // namespace lucid::data
