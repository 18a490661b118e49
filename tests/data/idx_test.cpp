#include "data/idx.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "data/python_reference.h"
#include "lucid/data/augment.h"
#include "lucid/data/dataset.h"
#include "lucid/error.h"

namespace lucid::data {
namespace {

using namespace pil_test;

const fs::path kFashion = "/usr/share/datasets/fashion-mnist";

// A big-endian IDX header for `type` and `dims`, then `payload`.
std::string idx_bytes(uint8_t type, const std::vector<uint32_t>& dims, const std::string& payload) {
  std::string bytes{0, 0, char(type), char(dims.size())};
  for (uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(char((d >> shift) & 0xff));
  return bytes + payload;
}

std::string pixels(size_t n) {
  std::string values(n, 0);
  for (size_t i = 0; i < n; ++i) values[i] = char(i * 37 % 256);
  return values;
}

// The IoError read_idx throws for `bytes`, or "" if none.
std::string idx_error(const std::string& bytes, int dims) {
  fs::path path = test_dir() / "file-idx-ubyte";
  write_bytes(path, bytes);
  try {
    read_idx(path.string(), dims);
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
    return e.what();
  }
  return "";
}

TEST(Idx, FashionMnistMatchesNumpy) {
  ASSERT_TRUE(fs::exists(kFashion)) << "install Debian's dataset-fashion-mnist";
  fs::path dir = test_dir();
  std::string out;
  ASSERT_TRUE(run_python(dir, R"(
import gzip, json, sys
import numpy as np
def load(name, offset):
    with gzip.open("/usr/share/datasets/fashion-mnist/" + name) as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)
result = {}
for prefix in ("train", "t10k"):
    images = load(prefix + "-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28)
    labels = load(prefix + "-labels-idx1-ubyte.gz", 8)
    picked = [0, 1, len(images) - 1]
    open(sys.argv[1] + "/" + prefix + ".bin", "wb").write(images[picked].tobytes())
    result[prefix] = dict(count=len(images), picked=picked, labels=labels[:32].tolist(),
                          last_label=int(labels[-1]), histogram=np.bincount(labels, minlength=10).tolist())
print(json.dumps(result))
)", &out));
  nlohmann::json want = nlohmann::json::parse(out);
  ASSERT_EQ(int64_t(want["train"]["count"]), 60000);
  ASSERT_EQ(int64_t(want["t10k"]["count"]), 10000);
  for (const char* prefix : {"train", "t10k"}) {
    SCOPED_TRACE(prefix);
    const auto& w = want[prefix];
    IdxArray images = read_idx((kFashion / (std::string(prefix) + "-images-idx3-ubyte.gz")).string(), 3);
    IdxArray labels = read_idx((kFashion / (std::string(prefix) + "-labels-idx1-ubyte.gz")).string(), 1);
    int64_t count = w["count"];
    EXPECT_EQ(images.shape, (Shape{count, 28, 28}));
    EXPECT_EQ(labels.shape, (Shape{count}));
    std::string picked = read_text(dir / (std::string(prefix) + ".bin"));
    for (size_t k = 0; k < w["picked"].size(); ++k) {
      int64_t index = w["picked"][k];
      EXPECT_EQ(std::memcmp(&images.values[size_t(index * 784)], picked.data() + k * 784, 784), 0) << "image " << index;
    }
    for (size_t i = 0; i < w["labels"].size(); ++i) EXPECT_EQ(int(labels.values[i]), int(w["labels"][i])) << i;
    EXPECT_EQ(int(labels.values.back()), int(w["last_label"]));
    std::vector<int64_t> histogram(10, 0);
    for (uint8_t label : labels.values) {
      ASSERT_LT(label, 10);
      ++histogram[label];
    }
    EXPECT_EQ(histogram, w["histogram"].get<std::vector<int64_t>>());
  }
}

TEST(Idx, FashionMnistSamplesMatchTorchvision) {
  ASSERT_TRUE(fs::exists(kFashion)) << "install Debian's dataset-fashion-mnist";
  fs::path dir = test_dir();
  ASSERT_TRUE(run_python(dir, R"(
import gzip, sys
import numpy as np
from PIL import Image
from torchvision import transforms as T
with gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz") as f:
    images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
pipeline = T.Compose([T.ToTensor(), T.Normalize([0.2860], [0.3530])])
out = b"".join(pipeline(Image.fromarray(images[i], "L")).numpy().astype("<f4").tobytes() for i in (0, 7, 9999))
open(sys.argv[1] + "/samples.bin", "wb").write(out)
)"));
  auto test = open_dataset("fashion-mnist", Split::Test);
  EXPECT_EQ(test->size(), 10000);
  EXPECT_EQ(test->num_classes(), 10);
  EXPECT_EQ(test->class_names()[9], "Ankle boot");
  EXPECT_EQ(test->sample_shape(), (Shape{1, 28, 28}));
  std::string want = read_text(dir / "samples.bin");
  ASSERT_EQ(want.size(), 3u * 784 * 4);
  int k = 0;
  for (int64_t index : {0, 7, 9999}) {
    Sample sample = test->get(index, 123);
    ASSERT_EQ(sample.image.shape(), (Shape{1, 28, 28}));
    EXPECT_EQ(std::memcmp(sample.image.data<float>(), want.data() + k++ * 784 * 4, 784 * 4), 0) << "sample " << index;
  }
}

TEST(Idx, CorruptFilesAreRefused) {
  auto has = [](const std::string& error, const std::string& part) {
    return error.find(part) != std::string::npos ? ::testing::AssertionSuccess()
                                                 : ::testing::AssertionFailure() << "'" << error << "' lacks '" << part << "'";
  };
  EXPECT_EQ(idx_error(idx_bytes(8, {2, 3, 3}, pixels(18)), 3), "");
  EXPECT_TRUE(has(idx_error("\x12\x34\x08\x03" + pixels(30), 3), "not an IDX file"));
  EXPECT_TRUE(has(idx_error(idx_bytes(0x0D, {2, 3, 3}, pixels(72)), 3), "value type 0xd"));
  EXPECT_TRUE(has(idx_error(idx_bytes(8, {2, 3, 3}, pixels(18)), 1), "has 3 dimensions, expected 1"));
  EXPECT_TRUE(has(idx_error(std::string{0, 0, 8, char(0xff)} + pixels(64), 3), "has 255 dimensions, expected 3"));
  EXPECT_TRUE(has(idx_error(std::string{0, 0, 8}, 3), "shorter than the 4-byte magic"));
  EXPECT_TRUE(has(idx_error(idx_bytes(8, {2, 3, 3}, "").substr(0, 9), 3), "header ends before its 3 dimensions"));
  EXPECT_TRUE(has(idx_error(idx_bytes(8, {2, 3, 3}, pixels(17)), 3), "truncated: 17 of the 18 data bytes"));
  EXPECT_TRUE(has(idx_error(idx_bytes(8, {2, 3, 3}, pixels(19)), 3), "trailing data"));
  // Headers promising terabytes: refused, or found short after reading only what is there.
  EXPECT_TRUE(has(idx_error(idx_bytes(8, {0xffffffff, 0xffffffff, 0xffffffff}, pixels(100)), 3), "exceed the limit"));
  EXPECT_TRUE(has(idx_error(idx_bytes(8, {0x7fffffff, 4, 4}, pixels(100)), 3), "truncated: 100 of the"));
  EXPECT_TRUE(has(idx_error("", 1), "shorter than the 4-byte magic"));

  fs::path dir = test_dir();
  EXPECT_THROW(read_idx((dir / "missing").string(), 1), IoError);
  EXPECT_THROW(read_idx(dir.string(), 1), IoError);
}

TEST(Idx, CorruptGzipIsRefused) {
  ASSERT_TRUE(fs::exists(kFashion)) << "install Debian's dataset-fashion-mnist";
  std::string gz = read_text(kFashion / "t10k-images-idx3-ubyte.gz");
  fs::path dir = test_dir();
  write_bytes(dir / "cut.gz", gz.substr(0, gz.size() / 2));
  std::string damaged = gz;
  for (size_t i = gz.size() / 3; i < gz.size() / 3 + 64; ++i) damaged[i] = char(~damaged[i]);
  write_bytes(dir / "damaged.gz", damaged);
  for (const char* name : {"cut.gz", "damaged.gz"}) {
    std::string path = (dir / name).string();
    try {
      read_idx(path, 3);
      ADD_FAILURE() << name << " was read";
    } catch (const IoError& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  }
}

// "mnist:FOLDER" with four small IDX files (4x3 images: rows and columns differ).
TEST(Idx, MnistFromAFolder) {
  fs::path dir = test_dir();
  std::string labels{3, 0, 9, 1, 7};
  write_bytes(dir / "train-images-idx3-ubyte", idx_bytes(8, {5, 4, 3}, pixels(60)));
  write_bytes(dir / "train-labels-idx1-ubyte", idx_bytes(8, {5}, labels));
  auto train = open_dataset("mnist:" + dir.string(), Split::Train, {.mean = {0.0f}, .std = {1.0f}});
  EXPECT_EQ(train->size(), 5);
  EXPECT_EQ(train->class_names()[3], "3");
  EXPECT_EQ(train->sample_shape(), (Shape{1, 4, 3}));
  std::string values = pixels(60);
  for (int64_t i = 0; i < 5; ++i) {
    Sample sample = train->get(i, 0);
    EXPECT_EQ(sample.label, labels[size_t(i)]);
    for (int64_t p = 0; p < 12; ++p)
      EXPECT_EQ(sample.image.data<float>()[p], float(uint8_t(values[size_t(i * 12 + p)])) / 255.0f);
  }
  EXPECT_THROW(train->get(5, 0), ValueError);

  auto error = [&](Split split) -> std::string {
    try {
      open_dataset("mnist:" + dir.string(), split);
    } catch (const IoError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(error(Split::Test).find("t10k-images-idx3-ubyte.gz"), std::string::npos) << error(Split::Test);
  write_bytes(dir / "train-labels-idx1-ubyte", idx_bytes(8, {4}, labels.substr(0, 4)));
  EXPECT_NE(error(Split::Train).find("4 labels for the 5 images"), std::string::npos) << error(Split::Train);
  write_bytes(dir / "train-labels-idx1-ubyte", idx_bytes(8, {5}, std::string{3, 0, 10, 1, 7}));
  EXPECT_NE(error(Split::Train).find("label 10 at index 2 is outside 0..9"), std::string::npos) << error(Split::Train);
  write_bytes(dir / "train-images-idx3-ubyte", idx_bytes(8, {0, 4, 3}, ""));
  EXPECT_NE(error(Split::Train).find("holds no images"), std::string::npos) << error(Split::Train);
}

// With pad 2 and flip 1, every sample is the flipped image shifted by one of 5 x 5 offsets, all
// of which turn up; without padding MNIST's augmentation leaves it as it is (no flip by default).
TEST(Idx, AugmentedSamplesAreShiftedFlippedImages) {
  fs::path dir = test_dir();
  write_bytes(dir / "train-images-idx3-ubyte", idx_bytes(8, {1, 4, 3}, pixels(12)));
  write_bytes(dir / "train-labels-idx1-ubyte", idx_bytes(8, {1}, std::string(1, 0)));
  std::string spec = "mnist:" + dir.string();
  auto plain = open_dataset(spec, Split::Train, {.mean = {0.25f}, .std = {0.5f}});
  Tensor image = gray_to_tensor(reinterpret_cast<const uint8_t*>(pixels(12).data()), 4, 3);
  std::vector<std::vector<float>> candidates;
  for (int64_t top = 0; top <= 4; ++top)
    for (int64_t left = 0; left <= 4; ++left) {
      Tensor t = hflip(padded_crop(image, 2, top, left));
      normalize_(t, {0.25f}, {0.5f});
      candidates.push_back(t.to_vector());
    }
  auto augmented = open_dataset(spec, Split::Train, {.augment = true, .pad = 2, .flip = 1.0f, .mean = {0.25f}, .std = {0.5f}});
  std::set<size_t> seen;
  for (uint64_t seed = 0; seed < 400; ++seed) {
    auto found = std::find(candidates.begin(), candidates.end(), augmented->get(0, seed).image.to_vector());
    ASSERT_NE(found, candidates.end()) << "seed " << seed;
    seen.insert(size_t(found - candidates.begin()));
  }
  EXPECT_EQ(seen.size(), 25u);
  auto unchanged = open_dataset(spec, Split::Train, {.augment = true, .pad = 0, .mean = {0.25f}, .std = {0.5f}});
  for (uint64_t seed = 0; seed < 20; ++seed)
    EXPECT_EQ(unchanged->get(0, seed).image.to_vector(), plain->get(0, seed).image.to_vector());
}

TEST(Idx, MissingDatasetsAreNamed) {
  fs::path missing = test_dir() / "nowhere";
  for (const std::string& spec : {"mnist:" + missing.string(), "fashion-mnist:" + missing.string(), missing.string()}) {
    try {
      open_dataset(spec, Split::Train);
      ADD_FAILURE() << spec << " opened";
    } catch (const IoError& e) {
      EXPECT_NE(std::string(e.what()).find(missing.string()), std::string::npos) << e.what();
    }
  }
}

TEST(Idx, BadTransformsAreRefused) {
  fs::path dir = test_dir();
  write_bytes(dir / "train-images-idx3-ubyte", idx_bytes(8, {1, 2, 2}, pixels(4)));
  write_bytes(dir / "train-labels-idx1-ubyte", idx_bytes(8, {1}, std::string(1, 0)));
  std::string spec = "mnist:" + dir.string();
  EXPECT_THROW(open_dataset(spec, Split::Train, {.mean = {0.5f, 0.5f, 0.5f}}), ValueError);
  EXPECT_THROW(open_dataset(spec, Split::Train, {.std = {0.0f}}), ValueError);
  EXPECT_THROW(open_dataset(spec, Split::Train, {.pad = -1}), ValueError);
  EXPECT_THROW(open_dataset(spec, Split::Train, {.flip = 1.5f}), ValueError);
  EXPECT_NO_THROW(open_dataset(spec, Split::Train, {.augment = true, .flip = 0.0f}));
}

}  // namespace
}  // namespace lucid::data
