#include "lucid/data/augment.h"
#include "lucid/data/transforms.h"

#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "data/python_reference.h"
#include "lucid/error.h"

namespace lucid::data {
namespace {

using namespace pil_test;

constexpr std::array<double, 2> kScale{0.08, 1.0}, kRatio{3.0 / 4.0, 4.0 / 3.0};

Tensor from_bytes(const Shape& shape, const std::string& bytes) {
  Tensor t = Tensor::empty(shape);
  EXPECT_EQ(bytes.size(), t.nbytes());
  std::memcpy(t.raw_data(), bytes.data(), std::min(bytes.size(), t.nbytes()));
  return t;
}

::testing::AssertionResult same_floats(const Tensor& got, const std::string& want) {
  if (got.nbytes() != want.size()) return ::testing::AssertionFailure() << got.nbytes() << " bytes, want " << want.size();
  const float* g = got.data<float>();
  for (int64_t i = 0; i < got.numel(); ++i) {
    float w;
    std::memcpy(&w, want.data() + i * 4, 4);
    if (std::memcmp(&g[i], &w, 4) != 0) return ::testing::AssertionFailure() << "element " << i << ": " << g[i] << ", want " << w;
  }
  return ::testing::AssertionSuccess();
}

TEST(Rng, StaysInRange) {
  Rng rng(7);
  std::set<int64_t> seen;
  double sum = 0;
  for (int i = 0; i < 20000; ++i) {
    int64_t v = rng.below(13);
    ASSERT_TRUE(v >= 0 && v < 13) << v;
    seen.insert(v);
    double u = rng.uniform();
    ASSERT_TRUE(u >= 0.0 && u < 1.0) << u;
    sum += u;
  }
  EXPECT_EQ(seen.size(), 13u);
  EXPECT_NEAR(sum / 20000, 0.5, 0.01);
  EXPECT_EQ(Rng(derive_seed(1, 2)).next(), Rng(derive_seed(1, 2)).next());
  EXPECT_NE(derive_seed(1, 2), derive_seed(1, 3));
  EXPECT_NE(derive_seed(1, 2), derive_seed(2, 2));
}

// The box is inside the image; a drawn box has an area and an aspect ratio that round to values
// inside scale and ratio; the areas span the range.
TEST(RandomResizedCrop, BoxesKeepTheirRanges) {
  for (auto [width, height] : std::vector<std::pair<int64_t, int64_t>>{{500, 375}, {375, 500}, {64, 64}, {33, 200}}) {
    double area = double(width * height), smallest = 1, largest = 0;
    std::set<int64_t> tops;
    for (uint64_t seed = 0; seed < 3000; ++seed) {
      Rng rng(seed);
      CropBox b = random_resized_crop_box(width, height, kScale, kRatio, rng);
      ASSERT_TRUE(b.top >= 0 && b.left >= 0 && b.height > 0 && b.width > 0 && b.top + b.height <= height &&
                  b.left + b.width <= width)
          << width << "x" << height << " seed " << seed;
      double w = double(b.width), h = double(b.height);
      EXPECT_TRUE((w + 0.5) * (h + 0.5) >= kScale[0] * area && (w - 0.5) * (h - 0.5) <= kScale[1] * area)
          << b.width << "x" << b.height << " in " << width << "x" << height;
      EXPECT_TRUE((w + 0.5) / (h - 0.5) >= kRatio[0] && (w - 0.5) / (h + 0.5) <= kRatio[1])
          << b.width << "x" << b.height << " in " << width << "x" << height;
      smallest = std::min(smallest, w * h / area), largest = std::max(largest, w * h / area);
      tops.insert(b.top);
    }
    // The largest box the ratio range allows: 33x44 of a 33x200 image.
    double reachable = double(std::min<int64_t>(width, height * 4 / 3) * std::min<int64_t>(height, width * 4 / 3)) / area;
    EXPECT_LT(smallest, 0.1) << width << "x" << height;
    EXPECT_GT(largest, 0.9 * reachable) << width << "x" << height;
    EXPECT_GT(tops.size(), size_t(height) / 3) << width << "x" << height;
  }
  Rng rng(0);
  EXPECT_THROW(random_resized_crop_box(0, 5, kScale, kRatio, rng), ValueError);
  EXPECT_THROW(random_resized_crop_box(5, 5, {0.5, 0.1}, kRatio, rng), ValueError);
}

// Where no draw can fit, torchvision's central fallback: deterministic, so its own get_params is the reference.
TEST(RandomResizedCrop, FallbackMatchesTorchvision) {
  struct Case {
    int64_t width, height;
    std::array<double, 2> scale;
  };
  const std::vector<Case> cases = {{1000, 10, kScale}, {10, 1000, kScale}, {50, 40, {1.5, 2.0}}, {31, 7, {0.9, 1.0}}};
  std::string code = R"(
import json
from PIL import Image
from torchvision import transforms as T
cases = json.loads(open(__import__("sys").argv[1] + "/cases.json").read())
print(json.dumps([T.RandomResizedCrop.get_params(Image.new("RGB", (w, h)), scale, [3 / 4, 4 / 3]) for w, h, scale in cases]))
)";
  nlohmann::json json_cases = nlohmann::json::array();
  for (const Case& c : cases) json_cases.push_back({c.width, c.height, c.scale});
  fs::path dir = test_dir();
  write_bytes(dir / "cases.json", json_cases.dump());
  std::string out;
  ASSERT_TRUE(run_python(dir, code, &out));
  nlohmann::json want = nlohmann::json::parse(out);
  for (size_t k = 0; k < cases.size(); ++k)
    for (uint64_t seed : {0, 1, 99}) {
      Rng rng(seed);
      CropBox b = random_resized_crop_box(cases[k].width, cases[k].height, cases[k].scale, kRatio, rng);
      CropBox w{want[k][0], want[k][1], want[k][2], want[k][3]};
      EXPECT_EQ(b, w) << cases[k].width << "x" << cases[k].height << ": got top " << b.top << " left " << b.left << " "
                      << b.width << "x" << b.height << ", torchvision top " << w.top << " left " << w.left << " "
                      << w.width << "x" << w.height;
    }
}

// F.resized_crop and F.hflip on a PIL image, for fixed boxes.
TEST(RandomResizedCrop, CropAndResizeMatchPil) {
  fs::path photo_path = photo("chelsea.png");
  ASSERT_TRUE(fs::exists(photo_path)) << "install python3-skimage";
  fs::path dir = test_dir();
  ASSERT_TRUE(run_python(dir, R"(
import sys
import numpy as np
from PIL import Image
from torchvision.transforms import functional as F, InterpolationMode as M
im = Image.open(")" + photo_path.string() + R"(").convert("RGB")
out = sys.argv[1]
for name, (top, left, h, w, size), mode in [("a", (37, 61, 180, 233, 96), M.BILINEAR), ("b", (0, 0, 300, 451, 224), M.BILINEAR),
                                           ("c", (250, 400, 50, 51, 160), M.BICUBIC)]:
    open(f"{out}/{name}.bin", "wb").write(np.asarray(F.resized_crop(im, top, left, h, w, [size, size], mode)).tobytes())
open(f"{out}/flip.bin", "wb").write(np.asarray(F.hflip(im)).tobytes())
)"));
  Image image = decode_image(photo_path.string());
  struct Case {
    const char* name;
    CropBox box;
    int64_t size;
    Interpolation interpolation;
  };
  for (const Case& c : {Case{"a", {37, 61, 180, 233}, 96, Interpolation::Bilinear},
                        Case{"b", {0, 0, 300, 451}, 224, Interpolation::Bilinear},
                        Case{"c", {250, 400, 50, 51}, 160, Interpolation::Bicubic}}) {
    Image got = resize(crop(image, c.box), c.size, c.size, c.interpolation);
    std::string want = read_text(dir / (std::string(c.name) + ".bin"));
    EXPECT_TRUE(same_pixels(got, {want.begin(), want.end()}, c.size, c.size)) << c.name;
  }
  std::string flipped = read_text(dir / "flip.bin");
  EXPECT_TRUE(same_pixels(hflip(image), {flipped.begin(), flipped.end()}, image.width, image.height));
  EXPECT_THROW(crop(image, {250, 400, 51, 51}), ValueError);
}

// RandomCrop(padding=3)'s pad-then-crop, hflip and Normalize on a (2, 5, 7) tensor, against
// torchvision's functional ops.
TEST(TensorAugment, MatchesTorchvision) {
  fs::path dir = test_dir();
  ASSERT_TRUE(run_python(dir, R"(
import sys
import torch
from torchvision.transforms import functional as F
out = sys.argv[1]
x = torch.rand(2, 5, 7, generator=torch.Generator().manual_seed(3))
open(f"{out}/x.bin", "wb").write(x.numpy().tobytes())
for top, left in [(0, 0), (6, 6), (2, 5), (3, 3), (6, 0)]:
    open(f"{out}/crop_{top}_{left}.bin", "wb").write(F.crop(F.pad(x, 3), top, left, 5, 7).numpy().tobytes())
open(f"{out}/flip.bin", "wb").write(F.hflip(x).numpy().tobytes())
open(f"{out}/norm.bin", "wb").write(F.normalize(x, [0.2860, 0.5], [0.3530, 0.25]).numpy().tobytes())
)"));
  Tensor x = from_bytes({2, 5, 7}, read_text(dir / "x.bin"));
  for (auto [top, left] : std::vector<std::pair<int64_t, int64_t>>{{0, 0}, {6, 6}, {2, 5}, {3, 3}, {6, 0}})
    EXPECT_TRUE(same_floats(padded_crop(x, 3, top, left),
                            read_text(dir / ("crop_" + std::to_string(top) + "_" + std::to_string(left) + ".bin"))))
        << top << ", " << left;
  EXPECT_TRUE(same_floats(hflip(x), read_text(dir / "flip.bin")));
  Tensor normalized = x.clone();
  normalize_(normalized, {0.2860f, 0.5f}, {0.3530f, 0.25f});
  EXPECT_TRUE(same_floats(normalized, read_text(dir / "norm.bin")));
  EXPECT_THROW(padded_crop(x, 3, 7, 0), ValueError);
  EXPECT_THROW(normalize_(normalized, {0.5f}, {0.5f}), ValueError);
  EXPECT_THROW(hflip(Tensor::empty({5, 7})), ShapeError);
}

}  // namespace
}  // namespace lucid::data
