// torchvision 0.14's RandomResizedCrop, RandomCrop(padding), RandomHorizontalFlip and Normalize.
#include "lucid/data/augment.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "lucid/error.h"

namespace lucid::data {

namespace {

void check_chw(const char* op, const Tensor& image) {
  if (image.dim() != 3 || image.dtype() != DType::F32)
    throw ShapeError(op, cat("needs a (C, H, W) F32 image, got ", to_string(image.shape()), " ",
                             dtype_name(image.dtype())));
}

// torch.empty(1).uniform_(low, high).item(): drawn in float32.
double uniform_f32(Rng& rng, double low, double high) {
  float lo = static_cast<float>(low), hi = static_cast<float>(high);
  return static_cast<double>(lo + (hi - lo) * static_cast<float>(rng.uniform()));
}

// Python's int(round(x)) for x >= 0: halves to even, as nearbyint in the default rounding mode.
int64_t round_even(double x) { return static_cast<int64_t>(std::nearbyint(x)); }

}  // namespace

CropBox random_resized_crop_box(int64_t width, int64_t height, const std::array<double, 2>& scale,
                                const std::array<double, 2>& ratio, Rng& rng) {
  if (width <= 0 || height <= 0)
    throw ValueError("random_resized_crop", cat("the image is empty: ", width, "x", height));
  if (!(scale[0] > 0 && scale[0] <= scale[1]) || !(ratio[0] > 0 && ratio[0] <= ratio[1]))
    throw ValueError("random_resized_crop", cat("scale and ratio must be ranges 0 < low <= high, got scale (", scale[0],
                                                ", ", scale[1], ") ratio (", ratio[0], ", ", ratio[1], ")"));
  double area = static_cast<double>(width * height);
  float log_low = std::log(static_cast<float>(ratio[0])), log_high = std::log(static_cast<float>(ratio[1]));
  for (int attempt = 0; attempt < 10; ++attempt) {
    double target_area = area * uniform_f32(rng, scale[0], scale[1]);
    double aspect = std::exp(static_cast<float>(uniform_f32(rng, log_low, log_high)));
    int64_t w = round_even(std::sqrt(target_area * aspect)), h = round_even(std::sqrt(target_area / aspect));
    if (0 < w && w <= width && 0 < h && h <= height) {
      int64_t top = rng.below(height - h + 1);
      return {top, rng.below(width - w + 1), h, w};
    }
  }
  double in_ratio = static_cast<double>(width) / static_cast<double>(height);
  int64_t w = width, h = height;
  if (in_ratio < ratio[0]) {
    h = round_even(static_cast<double>(w) / ratio[0]);
  } else if (in_ratio > ratio[1]) {
    w = round_even(static_cast<double>(h) * ratio[1]);
  }
  return {(height - h) / 2, (width - w) / 2, h, w};
}

Image crop(const Image& image, const CropBox& box) {
  if (box.top < 0 || box.left < 0 || box.height <= 0 || box.width <= 0 || box.top + box.height > image.height ||
      box.left + box.width > image.width)
    throw ValueError("crop", cat("box top ", box.top, " left ", box.left, " ", box.width, "x", box.height,
                                 " is not inside the ", image.width, "x", image.height, " image"));
  Image out{box.width, box.height, std::vector<uint8_t>(size_t(box.width * box.height * 3))};
  for (int64_t y = 0; y < box.height; ++y)
    std::memcpy(&out.pixels[size_t(y * box.width * 3)],
                &image.pixels[size_t(((box.top + y) * image.width + box.left) * 3)], size_t(box.width * 3));
  return out;
}

Image hflip(const Image& image) {
  Image out{image.width, image.height, std::vector<uint8_t>(image.pixels.size())};
  for (int64_t y = 0; y < image.height; ++y)
    for (int64_t x = 0; x < image.width; ++x)
      std::memcpy(&out.pixels[size_t((y * image.width + x) * 3)],
                  &image.pixels[size_t((y * image.width + image.width - 1 - x) * 3)], 3);
  return out;
}

Tensor gray_to_tensor(const uint8_t* pixels, int64_t height, int64_t width) {
  Tensor out = Tensor::empty({1, height, width});
  float* dst = out.data<float>();
  for (int64_t i = 0; i < height * width; ++i) dst[i] = static_cast<float>(pixels[i]) / 255.0f;
  return out;
}

Tensor padded_crop(const Tensor& image, int64_t pad, int64_t top, int64_t left) {
  check_chw("padded_crop", image);
  if (pad < 0 || top < 0 || left < 0 || top > 2 * pad || left > 2 * pad)
    throw ValueError("padded_crop", cat("offsets must be in [0, 2 * pad], got pad ", pad, " top ", top, " left ", left));
  int64_t channels = image.size(0), height = image.size(1), width = image.size(2);
  Tensor out = Tensor::zeros(image.shape());
  const float* src = image.data<float>();
  float* dst = out.data<float>();
  // Output (y, x) reads source (y + top - pad, x + left - pad) where that is inside.
  int64_t dy = top - pad, dx = left - pad;
  int64_t x0 = std::max<int64_t>(0, -dx), x1 = std::min(width, width - dx);
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t y = std::max<int64_t>(0, -dy); y < std::min(height, height - dy); ++y)
      if (x1 > x0)
        std::memcpy(&dst[(c * height + y) * width + x0], &src[(c * height + y + dy) * width + x0 + dx],
                    size_t(x1 - x0) * sizeof(float));
  return out;
}

Tensor hflip(const Tensor& image) {
  check_chw("hflip", image);
  Tensor out = Tensor::empty(image.shape());
  int64_t rows = image.size(0) * image.size(1), width = image.size(2);
  const float* src = image.data<float>();
  float* dst = out.data<float>();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t x = 0; x < width; ++x) dst[r * width + x] = src[r * width + width - 1 - x];
  return out;
}

void normalize_(Tensor& image, const std::vector<float>& mean, const std::vector<float>& std) {
  check_chw("normalize", image);
  int64_t channels = image.size(0), plane = image.size(1) * image.size(2);
  if (int64_t(mean.size()) != channels || int64_t(std.size()) != channels)
    throw ValueError("normalize", cat("needs one mean and std per channel (", channels, "), got ", mean.size(), " and ",
                                      std.size()));
  for (float s : std)
    if (s == 0.0f) throw ValueError("normalize", "std must be nonzero");
  float* p = image.data<float>();
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t i = 0; i < plane; ++i) p[c * plane + i] = (p[c * plane + i] - mean[size_t(c)]) / std[size_t(c)];
}

}  // namespace lucid::data
