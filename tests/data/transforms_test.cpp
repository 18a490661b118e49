#include "lucid/data/transforms.h"

#include <gtest/gtest.h>

#include <cmath>

#include "data/pil_reference.h"
#include "lucid/error.h"

namespace lucid::data {
namespace {

using namespace pil_test;

Interpolation interpolation(const std::string& name) {
  return name == "bicubic" ? Interpolation::Bicubic : Interpolation::Bilinear;
}

// A width x height image whose pixel (x, y) is (x, y, 7).
Image coordinates(int64_t width, int64_t height) {
  Image image{width, height, std::vector<uint8_t>(size_t(width * height * 3))};
  for (int64_t y = 0; y < height; ++y)
    for (int64_t x = 0; x < width; ++x) {
      uint8_t* p = &image.pixels[size_t((y * width + x) * 3)];
      p[0] = uint8_t(x), p[1] = uint8_t(y), p[2] = 7;
    }
  return image;
}

// The photographs, and two tiny images for the edges of the filters (upscaled up to 85 times).
const std::vector<std::string> kPhotos = {"rocket.jpg",    "hubble_deep_field.jpg", "chelsea.png",
                                          "coffee.png",    "astronaut.png",         "camera.png",
                                          "cell.png",      "green_palette.png",     "logo.png",
                                          "retina.jpg",    "foo3x5x4indexed.png",   "checker_bilevel.png"};

std::string param_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  name[name.find('.')] = '_';
  return name;
}

// The decoded photo and PIL's references for it (decode_image itself is checked in image_test).
void load(const std::string& file, const std::string& args, Reference& ref, Image& image) {
  ASSERT_TRUE(fs::exists(photo(file))) << photo(file) << " is missing: install python3-skimage";
  ASSERT_TRUE(run_reference(test_dir(), "--image '" + photo(file).string() + "' " + args, ref));
  image = decode_image(photo(file).string());
  ASSERT_TRUE(same_pixels(image, ref.bytes("decoded.bin"), ref.manifest["width"], ref.manifest["height"]));
}

class Resample : public ::testing::TestWithParam<std::string> {};

TEST_P(Resample, MatchesPil) {
  Reference ref;
  Image image;
  ASSERT_NO_FATAL_FAILURE(load(GetParam(), "--resize", ref, image));
  ASSERT_GE(ref.manifest["resized"].size(), 10u);
  for (const auto& entry : ref.manifest["resized"]) {
    int64_t width = entry["width"], height = entry["height"];
    Image resized = resize(image, width, height, interpolation(entry["filter"]));
    EXPECT_TRUE(same_pixels(resized, ref.bytes(entry["file"]), width, height)) << entry;
  }
}

INSTANTIATE_TEST_SUITE_P(Pil, Resample, ::testing::ValuesIn(kPhotos), param_name);

class Torchvision : public ::testing::TestWithParam<std::string> {};

TEST_P(Torchvision, TransformsMatch) {
  Reference ref;
  Image image;
  ASSERT_NO_FATAL_FAILURE(load(GetParam(), "--torchvision", ref, image));
  for (const auto& entry : ref.manifest["shorter"]) {
    Image resized = resize_shorter(image, entry["size"], interpolation(entry["filter"]));
    EXPECT_TRUE(same_pixels(resized, ref.bytes(entry["file"]), entry["width"], entry["height"])) << entry;
  }
  for (const auto& entry : ref.manifest["crops"]) {
    Image cropped = center_crop(image, entry["width"], entry["height"]);
    EXPECT_TRUE(same_pixels(cropped, ref.bytes(entry["file"]), entry["width"], entry["height"])) << entry;
  }
  ASSERT_EQ(ref.manifest["presets"].size(), preset_names().size());
  for (const std::string& name : preset_names()) {
    SCOPED_TRACE(name);
    const auto& want = ref.manifest["presets"][name];
    Preprocess p = preset(name);
    EXPECT_EQ(p.resize, want["resize"]);
    EXPECT_EQ(p.crop, want["crop"]);
    EXPECT_EQ(p.interpolation, interpolation(want["interpolation"]));
    for (int c = 0; c < 3; ++c) {
      EXPECT_EQ(p.mean[c], want["mean"][c].get<float>());
      EXPECT_EQ(p.std[c], want["std"][c].get<float>());
    }
    Tensor got = preprocess(image, p);
    ASSERT_EQ(got.shape(), want["shape"].get<Shape>());
    std::vector<float> expected = ref.floats(want["file"]);
    std::vector<float> values = got.to_vector();
    ASSERT_EQ(values.size(), expected.size());
    float worst = 0;
    size_t equal = 0;
    for (size_t i = 0; i < values.size(); ++i) {
      worst = std::max(worst, std::abs(values[i] - expected[i]));
      equal += values[i] == expected[i];
    }
    EXPECT_LE(worst, 1e-6f) << equal << " of " << values.size() << " values equal";
  }
}

INSTANTIATE_TEST_SUITE_P(Pil, Torchvision, ::testing::ValuesIn(kPhotos), param_name);

// --- without PIL -------------------------------------------------------------------------------

TEST(TransformResize, SameSizeIsACopyAndBadSizesThrow) {
  Image image = coordinates(5, 4);
  EXPECT_EQ(resize(image, 5, 4, Interpolation::Bicubic).pixels, image.pixels);
  EXPECT_THROW(resize(image, 0, 4, Interpolation::Bilinear), ValueError);
  EXPECT_THROW(resize(image, 3, -1, Interpolation::Bilinear), ValueError);
  EXPECT_THROW(resize(Image{}, 3, 3, Interpolation::Bilinear), ValueError);
}

// PIL's bilinear 2 -> 1 halves the support's weights exactly: (10 + 30) / 2.
TEST(TransformResize, HalvingAveragesNeighbours) {
  Image image{2, 1, {10, 20, 30, 30, 40, 51}};
  Image half = resize(image, 1, 1, Interpolation::Bilinear);
  EXPECT_EQ(half.pixels, (std::vector<uint8_t>{20, 30, 41}));  // 40.5 rounds up
}

TEST(TransformResizeShorter, SizesFollowTorchvision) {
  EXPECT_EQ(resize_shorter(coordinates(640, 427), 256, Interpolation::Bilinear).width, 383);  // int(383.7)
  Image portrait = resize_shorter(coordinates(427, 640), 256, Interpolation::Bicubic);
  EXPECT_EQ(portrait.width, 256);
  EXPECT_EQ(portrait.height, 383);
  Image square = resize_shorter(coordinates(300, 300), 232, Interpolation::Bilinear);
  EXPECT_EQ(square.width, 232);
  EXPECT_EQ(square.height, 232);
  Image unchanged = coordinates(256, 300);
  EXPECT_EQ(resize_shorter(unchanged, 256, Interpolation::Bilinear).pixels, unchanged.pixels);
  EXPECT_THROW(resize_shorter(unchanged, 0, Interpolation::Bilinear), ValueError);
}

// An extreme aspect ratio would make a huge image: a clear error instead (the fuzzer found a
// 1 x 63000 JPEG whose resize to 40 took longer than its time limit).
TEST(TransformResizeShorter, RefusesAResizeOfMorePixelsThanTheLimit) {
  const Image strip = coordinates(65000, 1);
  try {
    resize_shorter(strip, 256, Interpolation::Bilinear);
    FAIL() << "no error";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("resizing 65000x1 to 16640000x256 would make 4259840000 pixels, more than "
                                         "the limit of 178956970"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(resize(coordinates(8, 8), 100, 100, Interpolation::Bilinear, 9999), ValueError);
  EXPECT_EQ(resize(coordinates(8, 8), 100, 100, Interpolation::Bilinear, 10000).pixels.size(), 30000u);
  Preprocess small{.resize = 40, .crop = 32, .max_resized_pixels = 1 << 20};
  EXPECT_THROW(preprocess(coordinates(30000, 1), small), ValueError);  // 40 x 1.2 M
  EXPECT_EQ(preprocess(coordinates(60, 40), small).shape(), (Shape{3, 32, 32}));
}

// top = int(round((H - h) / 2)) with Python's round: 1.5 -> 2, 2.5 -> 2, 3.5 -> 4.
TEST(TransformCenterCrop, RoundsHalfToEven) {
  for (auto [width, crop, left] : std::vector<std::array<int64_t, 3>>{{7, 4, 2}, {9, 4, 2}, {11, 4, 4}, {8, 4, 2}}) {
    Image cropped = center_crop(coordinates(width, width), crop, crop);
    EXPECT_EQ(cropped.pixels[0], left) << width;
    EXPECT_EQ(cropped.pixels[1], left) << width;
  }
}

// The 3x2 image padded to 6x5: one column left, two right, one row above, two below.
TEST(TransformCenterCrop, PadsWithZerosLikeTorchvision) {
  Image cropped = center_crop(coordinates(3, 2), 6, 5);
  ASSERT_EQ(cropped.width, 6);
  ASSERT_EQ(cropped.height, 5);
  for (int64_t y = 0; y < 5; ++y)
    for (int64_t x = 0; x < 6; ++x) {
      const uint8_t* p = &cropped.pixels[size_t((y * 6 + x) * 3)];
      bool inside = x >= 1 && x < 4 && y >= 1 && y < 3;
      EXPECT_EQ(p[2], inside ? 7 : 0) << x << "," << y;
      if (inside) {
        EXPECT_EQ(p[0], x - 1);
      }
    }
  EXPECT_THROW(center_crop(coordinates(3, 2), 0, 2), ValueError);
}

TEST(TransformToTensor, NormalizesInFloat32) {
  Image image{2, 1, {0, 128, 255, 255, 1, 2}};
  Tensor t = to_tensor(image, {0.5f, 0.25f, 0.125f}, {0.5f, 2.0f, 0.3f});
  ASSERT_EQ(t.shape(), (Shape{3, 1, 2}));
  std::vector<float> v = t.to_vector();
  EXPECT_EQ(v[0], (0.0f / 255.0f - 0.5f) / 0.5f);
  EXPECT_EQ(v[1], (255.0f / 255.0f - 0.5f) / 0.5f);
  EXPECT_EQ(v[2], (128.0f / 255.0f - 0.25f) / 2.0f);
  EXPECT_EQ(v[5], (2.0f / 255.0f - 0.125f) / 0.3f);
  EXPECT_THROW(to_tensor(image, {0, 0, 0}, {1, 0, 1}), ValueError);
}

TEST(TransformPreset, NamesAndUnknownName) {
  EXPECT_EQ(preset_names(), (std::vector<std::string>{"tv_v1", "tv_v2", "timm_gluon", "timm_wsl"}));
  EXPECT_EQ(preset("tv_v2").resize, 232);
  EXPECT_EQ(preset("timm_gluon").interpolation, Interpolation::Bicubic);
  try {
    preset("tv_v3");
    FAIL() << "no error";
  } catch (const ValueError& e) {
    EXPECT_STREQ(e.what(), "[preset] unknown preset 'tv_v3'; known: tv_v1, tv_v2, timm_gluon, timm_wsl");
  }
}

TEST(TransformPreset, PreprocessShape) {
  Tensor t = preprocess(coordinates(300, 200), preset("tv_v1"));
  EXPECT_EQ(t.shape(), (Shape{3, 224, 224}));
}

}  // namespace
}  // namespace lucid::data
