// PIL 9.4's antialiased resampling (src/libImaging/Resample.c) for 8-bit RGB, ported line by
// line. Hand-written because no library reproduces PIL's arithmetic: coefficients computed in
// double, normalised, rounded to 22-bit fixed point, summed in int from a half-unit start and
// clipped; horizontal pass first (only over the rows the vertical pass reads), then vertical.
#include <algorithm>
#include <cmath>
#include <vector>

#include "lucid/data/transforms.h"
#include "lucid/error.h"

namespace lucid::data {

namespace {

struct Filter {
  double (*weight)(double x);
  double support;
};

double bilinear(double x) {
  if (x < 0.0) x = -x;
  return x < 1.0 ? 1.0 - x : 0.0;
}

double bicubic(double x) {
  constexpr double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

// 8 bits of result, 2 for overflow (filters have negative lobes) and the sign.
constexpr int kPrecisionBits = 32 - 8 - 2;

uint8_t clip8(int value) { return static_cast<uint8_t>(std::clamp(value >> kPrecisionBits, 0, 255)); }

// One output line's taps: input [first, first + count) with fixed-point weights.
struct Coefficients {
  int ksize = 0;
  std::vector<int> bounds;  // (first, count) per output index
  std::vector<int> weights;  // ksize per output index
};

// precompute_coeffs + normalize_coeffs_8bpc for the box (0, in_size); PIL passes the box as
// floats, so in1 - in0 is a float subtraction (exact for any real size).
Coefficients precompute(int in_size, int out_size, const Filter& filter) {
  float in0 = 0.0f, in1 = static_cast<float>(in_size);
  double scale = static_cast<double>(in1 - in0) / out_size;
  double filterscale = scale < 1.0 ? 1.0 : scale;
  double support = filter.support * filterscale;
  Coefficients c;
  c.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  c.bounds.resize(size_t(out_size) * 2);
  c.weights.assign(size_t(out_size) * c.ksize, 0);
  std::vector<double> k(c.ksize);
  for (int xx = 0; xx < out_size; ++xx) {
    double center = in0 + (xx + 0.5) * scale;
    double ww = 0.0;
    double ss = 1.0 / filterscale;
    int xmin = std::max(static_cast<int>(center - support + 0.5), 0);  // truncation, as PIL's (int)
    int xmax = std::min(static_cast<int>(center + support + 0.5), in_size) - xmin;
    for (int x = 0; x < xmax; ++x) {
      double w = filter.weight((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (int x = 0; x < xmax; ++x) {
      if (ww != 0.0) k[x] /= ww;
      // normalize_coeffs_8bpc: round half away from zero
      double scaled = k[x] * (1 << kPrecisionBits);
      c.weights[size_t(xx) * c.ksize + x] = static_cast<int>(k[x] < 0 ? -0.5 + scaled : 0.5 + scaled);
    }
    c.bounds[size_t(xx) * 2] = xmin;
    c.bounds[size_t(xx) * 2 + 1] = xmax;
  }
  return c;
}

// ImagingResampleHorizontal_8bpc over rows [row0, row0 + rows) of src.
Image horizontal(const Image& src, int64_t row0, int64_t rows, int out_width, const Coefficients& c) {
  Image out{out_width, rows, std::vector<uint8_t>(size_t(out_width) * rows * 3)};
  for (int64_t yy = 0; yy < rows; ++yy) {
    const uint8_t* in = src.pixels.data() + size_t(yy + row0) * src.width * 3;
    uint8_t* dst = out.pixels.data() + size_t(yy) * out_width * 3;
    for (int xx = 0; xx < out_width; ++xx) {
      int xmin = c.bounds[size_t(xx) * 2], xmax = c.bounds[size_t(xx) * 2 + 1];
      const int* k = &c.weights[size_t(xx) * c.ksize];
      int ss0 = 1 << (kPrecisionBits - 1), ss1 = ss0, ss2 = ss0;
      for (int x = 0; x < xmax; ++x) {
        const uint8_t* p = in + size_t(x + xmin) * 3;
        ss0 += p[0] * k[x];
        ss1 += p[1] * k[x];
        ss2 += p[2] * k[x];
      }
      dst[xx * 3] = clip8(ss0);
      dst[xx * 3 + 1] = clip8(ss1);
      dst[xx * 3 + 2] = clip8(ss2);
    }
  }
  return out;
}

// ImagingResampleVertical_8bpc; c.bounds are relative to src's first row.
Image vertical(const Image& src, int out_height, const Coefficients& c) {
  Image out{src.width, out_height, std::vector<uint8_t>(size_t(src.width) * out_height * 3)};
  size_t stride = size_t(src.width) * 3;
  for (int yy = 0; yy < out_height; ++yy) {
    int ymin = c.bounds[size_t(yy) * 2], ymax = c.bounds[size_t(yy) * 2 + 1];
    const int* k = &c.weights[size_t(yy) * c.ksize];
    uint8_t* dst = out.pixels.data() + size_t(yy) * stride;
    for (size_t i = 0; i < stride; ++i) {
      int ss = 1 << (kPrecisionBits - 1);
      for (int y = 0; y < ymax; ++y) ss += src.pixels[size_t(y + ymin) * stride + i] * k[y];
      dst[i] = clip8(ss);
    }
  }
  return out;
}

}  // namespace

Image resize(const Image& image, int64_t width, int64_t height, Interpolation interpolation, int64_t max_pixels) {
  if (image.width <= 0 || image.height <= 0 || image.pixels.size() != size_t(image.width * image.height * 3))
    throw ValueError("resize", cat("the image is empty or inconsistent: ", image.width, "x", image.height, " with ",
                                   image.pixels.size(), " bytes"));
  constexpr int64_t kMaxSide = int64_t{1} << 24;  // keeps PIL's int arithmetic from overflowing
  if (width <= 0 || height <= 0 || width > kMaxSide || height > kMaxSide)
    throw ValueError("resize", cat("output size must be 1 to 2^24 per side, got ", width, "x", height));
  if (width * height > max_pixels)  // both sides <= 2^24: no overflow
    throw ValueError("resize", cat("resizing ", image.width, "x", image.height, " to ", width, "x", height, " would make ",
                                   width * height, " pixels, more than the limit of ", max_pixels));
  // Image.resize returns a copy when the size is unchanged.
  if (width == image.width && height == image.height) return image;

  Filter filter = interpolation == Interpolation::Bicubic ? Filter{bicubic, 2.0} : Filter{bilinear, 1.0};
  Coefficients vert = precompute(static_cast<int>(image.height), static_cast<int>(height), filter);
  // ImagingResampleInner: the horizontal pass covers only the rows the vertical one reads.
  int first_row = vert.bounds[0];
  int last_row = vert.bounds[size_t(height) * 2 - 2] + vert.bounds[size_t(height) * 2 - 1];
  Image out;
  const Image* current = &image;
  if (width != image.width) {
    Coefficients horiz = precompute(static_cast<int>(image.width), static_cast<int>(width), filter);
    for (int64_t y = 0; y < height; ++y) vert.bounds[size_t(y) * 2] -= first_row;
    out = horizontal(image, first_row, last_row - first_row, static_cast<int>(width), horiz);
    current = &out;
  }
  if (height != image.height) out = vertical(*current, static_cast<int>(height), vert);
  return out;
}

}  // namespace lucid::data
