#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "data/python_reference.h"
#include "lucid/data/dataset.h"
#include "lucid/data/loader.h"
#include "lucid/error.h"

namespace lucid::data {
namespace {

using namespace pil_test;

// PNG and JPEG files of several sizes and modes, a nested folder, upper-case names and extensions,
// and files that are not images; then torchvision's ImageFolder listing and eval transform of it.
const char* kMakeFolder = R"(
import json, os, sys
import numpy as np
from PIL import Image
from torchvision import datasets, transforms as T
root = sys.argv[1] + "/images"
rng = np.random.default_rng(5)
def image(path, w, h, mode="RGB"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    a = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    a[:, : w // 2] //= 3  # some structure, so crops and flips differ
    Image.fromarray(a).convert(mode).save(path, quality=90)
for split, files in {
    "train": [("cat/a.png", 60, 40, "RGB"), ("cat/b.JPG", 50, 70, "RGB"), ("cat/sub/c.png", 33, 45, "L"),
              ("cat/sub-x/d.png", 40, 40, "RGB"), ("dog/z.jpeg", 90, 64, "RGB"), ("dog/A.PNG", 48, 48, "RGBA"),
              ("ant/x.png", 200, 100, "P")],
    "val": [("ant/v1.png", 70, 50, "RGB"), ("cat/v2.jpg", 64, 80, "L"), ("dog/v3.png", 49, 51, "RGB")],
}.items():
    for name, w, h, mode in files:
        image(f"{root}/{split}/{name}", w, h, mode)
open(f"{root}/train/README.txt", "w").write("not a class")
open(f"{root}/train/dog/notes.txt", "w").write("not an image")
pipeline = T.Compose([T.Resize(48 * 256 // 224), T.CenterCrop(48), T.ToTensor(),
                      T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
out = {}
for split in ("train", "val"):
    folder = datasets.ImageFolder(f"{root}/{split}")
    out[split] = dict(classes=folder.classes, samples=[(os.path.relpath(p, root), c) for p, c in folder.samples])
    open(f"{sys.argv[1]}/{split}.bin", "wb").write(b"".join(pipeline(x).numpy().tobytes() for x, _ in folder))
print(json.dumps(out))
)";

struct Folder {
  fs::path dir, root;
  nlohmann::json want;
};

void make_folder(Folder& f) {
  f.dir = test_dir();
  f.root = f.dir / "images";
  std::string out;
  ASSERT_TRUE(run_python(f.dir, kMakeFolder, &out));
  f.want = nlohmann::json::parse(out);
}

// The IoError open_dataset throws, or "".
std::string open_error(const fs::path& root, Split split) {
  try {
    open_dataset(root.string(), split);
  } catch (const IoError& e) {
    return e.what();
  }
  return "";
}

TEST(ImageFolder, MatchesTorchvision) {
  Folder f;
  ASSERT_NO_FATAL_FAILURE(make_folder(f));
  for (auto [split, name] : {std::pair{Split::Train, "train"}, std::pair{Split::Test, "val"}}) {
    SCOPED_TRACE(name);
    auto data = open_dataset(f.root.string(), split, {.size = 48});
    EXPECT_EQ(data->class_names(), f.want[name]["classes"].get<std::vector<std::string>>());
    EXPECT_EQ(data->sample_shape(), (Shape{3, 48, 48}));
    const auto& samples = f.want[name]["samples"];
    ASSERT_EQ(data->size(), int64_t(samples.size()));
    std::string tensors = read_text(f.dir / (std::string(name) + ".bin"));
    ASSERT_EQ(tensors.size(), samples.size() * 3 * 48 * 48 * 4);
    for (size_t i = 0; i < samples.size(); ++i) {
      Sample sample = data->get(int64_t(i), 0);
      EXPECT_EQ(sample.label, samples[i][1].get<int64_t>()) << samples[i][0];
      const float* want = reinterpret_cast<const float*>(tensors.data()) + i * 3 * 48 * 48;
      float worst = 0;
      for (int64_t k = 0; k < 3 * 48 * 48; ++k) worst = std::max(worst, std::abs(sample.image.data<float>()[k] - want[k]));
      EXPECT_LE(worst, 1e-6f) << samples[i][0];
    }
  }
}

// RandomResizedCrop and the flip: the seed alone decides the result.
TEST(ImageFolder, AugmentationFollowsTheSeed) {
  Folder f;
  ASSERT_NO_FATAL_FAILURE(make_folder(f));
  auto data = open_dataset(f.root.string(), Split::Train, {.augment = true, .size = 32});
  for (int64_t i = 0; i < data->size(); ++i) {
    Sample a = data->get(i, 11), b = data->get(i, 11), c = data->get(i, 12);
    ASSERT_EQ(a.image.shape(), (Shape{3, 32, 32}));
    EXPECT_EQ(a.image.to_vector(), b.image.to_vector()) << i;
    EXPECT_NE(a.image.to_vector(), c.image.to_vector()) << i;
  }
}

// A corrupt image fails on a worker; the caller gets the IoError naming it, in batch order.
TEST(ImageFolder, UnreadableFileIsNamedOnTheCallingThread) {
  Folder f;
  ASSERT_NO_FATAL_FAILURE(make_folder(f));
  fs::path broken = f.root / "train" / "cat" / "broken.png";
  write_bytes(broken, "\x89PNG\r\n\x1a\n not really");
  auto data = open_dataset(f.root.string(), Split::Train, {.size = 32});
  for (int64_t workers : {0, 1, 3}) {
    SCOPED_TRACE(workers);
    DataLoader loader(data, {.batch = 2, .shuffle = false, .drop_last = false, .workers = workers});
    loader.start_epoch(0);
    Batch batch;
    int64_t good = 0;
    try {
      while (loader.next(batch)) ++good;
      ADD_FAILURE() << "no error";
    } catch (const IoError& e) {
      EXPECT_NE(std::string(e.what()).find(broken.string()), std::string::npos) << e.what();
    }
    EXPECT_EQ(good, 1);  // ant/x.png, cat/a.png | cat/b.JPG, cat/broken.png
    EXPECT_FALSE(loader.next(batch));
  }
}

TEST(ImageFolder, BadFoldersAreRefused) {
  fs::path root = test_dir() / "images";
  auto expect_error = [&](Split split, const std::string& part) {
    std::string error = open_error(root, split);
    EXPECT_NE(error.find(part), std::string::npos) << "'" << error << "' lacks '" << part << "'";
  };
  expect_error(Split::Train, "no such folder");
  fs::create_directories(root / "train");
  expect_error(Split::Train, "holds no class folders");
  expect_error(Split::Test, "has neither test/ nor val/");
  fs::create_directories(root / "train" / "cat");
  write_bytes(root / "train" / "cat" / "a.txt", "text");
  expect_error(Split::Train, (root / "train" / "cat").string() + ": the class folder holds no JPEG or PNG file");
  write_bytes(root / "train" / "cat" / "b.bmp", "BM");
  expect_error(Split::Train, (root / "train" / "cat" / "b.bmp").string() + ": only JPEG and PNG");
  fs::remove(root / "train" / "cat" / "b.bmp");
  write_bytes(root / "train" / "cat" / "c.png", "\x89PNG\r\n\x1a\n");
  EXPECT_EQ(open_error(root, Split::Train), "");
  fs::create_directories(root / "test" / "dog");
  expect_error(Split::Test, "other class folders");
  fs::remove_all(root / "train");
  expect_error(Split::Train, "has no train/ folder");
}

}  // namespace
}  // namespace lucid::data
