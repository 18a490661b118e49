#include "lucid/io/torch_checkpoint.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zip.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "io/pickle.h"
#include "lucid/error.h"
#include "lucid/io/safetensors.h"
#include "lucid/models/weights.h"

namespace lucid::io {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The files of scripts/make_checkpoints.py, written once per version of the script and shared by
// the test processes (the script writes under a lock and renames a finished folder into place).
const fs::path& checkpoints() {
  static const fs::path dir = [] {
    fs::path script = fs::path(__FILE__).parent_path().parent_path().parent_path() / "scripts" / "make_checkpoints.py";
    std::ostringstream version;
    version << std::hex << std::hash<std::string>{}(read_file(script.string()));
    fs::path dir = fs::path(LUCID_TEST_TMP) / "torch_checkpoint" / version.str();
    if (!fs::is_directory(dir)) {
      fs::create_directories(dir.parent_path());
      std::string command = "/usr/bin/python3 " + script.string() + " " + dir.string();
      if (std::system(command.c_str()) != 0) throw std::runtime_error("failed: " + command);
    }
    return dir;
  }();
  return dir;
}

std::string file(const std::string& name) { return (checkpoints() / name).string(); }

fs::path tmp_dir(const std::string& name) {
  fs::path dir = fs::path(LUCID_TEST_TMP) / "torch_checkpoint_cases" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path.string();
}

template <class E, class F>
void expect_error(F&& call, std::initializer_list<std::string> parts) {
  try {
    call();
    ADD_FAILURE() << "no exception; expected one mentioning " << *parts.begin();
  } catch (const E& e) {
    for (const auto& part : parts) EXPECT_THAT(e.what(), HasSubstr(part));
  }
}

// Reads key into a tensor of dtype filled with garbage first, so that every byte must be written.
Tensor read(const TensorSource& source, const std::string& key, DType dtype = DType::F32) {
  Tensor dst = Tensor::empty(source.shape(key), dtype);
  std::memset(dst.raw_data(), 0xab, dst.nbytes());
  source.read_into(key, dst);
  return dst;
}

// The source holds exactly the expected file's tensors (names prefixed), in its order, bit for bit.
void expect_tensors(const TensorSource& source, const std::string& expected_file, const std::string& prefix = "") {
  SafetensorsFile expected = SafetensorsFile::open(file(expected_file));
  std::vector<std::string> names;
  for (const auto& entry : expected.entries()) names.push_back(prefix + entry.name);
  ASSERT_EQ(source.keys(), names);
  for (const auto& entry : expected.entries()) {
    Tensor want = expected.load(entry.name);
    ASSERT_EQ(source.shape(prefix + entry.name), entry.shape) << entry.name;
    Tensor got = read(source, prefix + entry.name, want.dtype());
    EXPECT_EQ(std::memcmp(got.raw_data(), want.raw_data(), want.nbytes()), 0) << entry.name;
  }
}

TEST(TorchCheckpoint, StateDictLoadsExactly) {
  auto source = open_torch_checkpoint(file("state_dict.pth"));
  EXPECT_GT(source->keys().size(), 100u);  // past 256 memo entries: LONG_BINPUT and LONG_BINGET
  EXPECT_EQ(source->keys().front(), "conv1.weight");
  expect_tensors(*source, "state_dict.expected.safetensors");
  EXPECT_EQ(source->dtype("conv1.weight"), DType::F32);
  EXPECT_EQ(source->dtype("bn1.num_batches_tracked"), DType::I64);
  EXPECT_EQ(read(*source, "bn1.num_batches_tracked", DType::I64).data<int64_t>()[0], 1);
}

TEST(TorchCheckpoint, Protocol4PickleLoadsExactly) {
  expect_tensors(*open_torch_checkpoint(file("protocol4.pth")), "state_dict.expected.safetensors");
}

TEST(TorchCheckpoint, DataParallelKeysKeepTheirPrefix) {
  expect_tensors(*open_torch_checkpoint(file("dataparallel.pth")), "state_dict.expected.safetensors", "module.");
}

TEST(TorchCheckpoint, TrainingCheckpointsGiveTheNestedStateDict) {
  // training.pth also holds an optimizer with momentum tensors, floats, big ints, lists and None.
  expect_tensors(*open_torch_checkpoint(file("training.pth")), "state_dict.expected.safetensors");
  expect_tensors(*open_torch_checkpoint(file("model_key.pth")), "state_dict.expected.safetensors");
}

TEST(TorchCheckpoint, CompressedEntriesReadToo) {
  expect_tensors(*open_torch_checkpoint(file("state_dict_deflated.pth")), "state_dict.expected.safetensors");
  auto views = open_torch_checkpoint(file("views_deflated.pth"));
  EXPECT_EQ(read(*views, "b").to_vector(), (std::vector<float>{5, 6, 7, 8, 9}));
}

TEST(TorchCheckpoint, HalfAndBFloat16WidenToF32OrCopyAsStored) {
  for (std::string name : {"half", "bfloat16"}) {
    auto source = open_torch_checkpoint(file(name + ".pth"));
    expect_tensors(*source, name + ".expected.safetensors");  // F32 destinations: widened
    EXPECT_EQ(source->dtype("fc.weight"), DType::F32);
    DType low = name == "half" ? DType::F16 : DType::BF16;
    SafetensorsFile expected = SafetensorsFile::open(file(name + ".expected.safetensors"));
    Tensor want = Tensor::empty(expected.entry("fc.weight").shape, low);
    expected.load_into("fc.weight", want);
    Tensor got = read(*source, "fc.weight", low);
    EXPECT_EQ(std::memcmp(got.raw_data(), want.raw_data(), want.nbytes()), 0) << name;
  }
}

TEST(TorchCheckpoint, ViewsWithStorageOffsetsReadTheirOwnElements) {
  auto source = open_torch_checkpoint(file("views.pth"));
  EXPECT_EQ(source->keys(), (std::vector<std::string>{"a", "b", "rows", "scalar", "empty", "column", "double"}));
  EXPECT_EQ(read(*source, "a").to_vector(), (std::vector<float>{2, 3, 4}));
  EXPECT_EQ(read(*source, "b").to_vector(), (std::vector<float>{5, 6, 7, 8, 9}));
  EXPECT_EQ(source->shape("rows"), (Shape{2, 6}));
  EXPECT_EQ(read(*source, "rows").to_vector()[0], 6.0f);
  EXPECT_EQ(source->shape("scalar"), Shape{});
  EXPECT_EQ(read(*source, "scalar").to_vector(), std::vector<float>{2.5f});
  EXPECT_EQ(source->shape("empty"), (Shape{0, 3}));
  SafetensorsFile expected = SafetensorsFile::open(file("views.expected.safetensors"));
  for (const auto& entry : expected.entries())
    EXPECT_EQ(read(*source, entry.name).to_vector(), expected.load(entry.name).to_vector()) << entry.name;

  EXPECT_EQ(source->shape("column"), Shape{4});
  Tensor column = Tensor::empty({4});
  expect_error<UnsupportedError>([&] { source->read_into("column", column); },
                                 {"column", "non-contiguous", "stride 6"});
  Tensor dbl = Tensor::empty({3});
  expect_error<UnsupportedError>([&] { source->read_into("double", dbl); }, {"double", "DoubleStorage"});
  expect_error<UnsupportedError>([&] { source->dtype("double"); }, {"double", "DoubleStorage"});
}

TEST(TorchCheckpoint, WrongDestinationsAndKeysNameTheKey) {
  auto source = open_torch_checkpoint(file("state_dict.pth"));
  Tensor wrong = Tensor::empty({3, 3});
  expect_error<ShapeError>([&] { source->read_into("conv1.weight", wrong); }, {"conv1.weight", "64x3x7x7", "3x3"});
  Tensor steps = Tensor::empty({});
  expect_error<ValueError>([&] { source->read_into("bn1.num_batches_tracked", steps); },
                           {"bn1.num_batches_tracked", "I64"});
  expect_error<IoError>([&] { source->shape("conv9.weight"); }, {"conv9.weight", "state_dict.pth"});
}

TEST(TorchCheckpoint, MaliciousPicklesAreRefusedByNameAndNeverRun) {
  fs::path pwned = checkpoints() / "pwned";
  fs::remove(pwned);
  std::string system = file("evil_system.pth"), eval = file("evil_eval.pth");
  expect_error<IoError>([&] { open_torch_checkpoint(system); }, {system, "refuses global 'posix.system'"});
  expect_error<IoError>([&] { open_torch_checkpoint(eval); }, {eval, "refuses global 'builtins.eval'"});
  // The bare pickles: no checkpoint, and the unpickler alone refuses them too.
  expect_error<IoError>([&] { open_torch_checkpoint(file("evil_system.pkl")); },
                        {"evil_system.pkl", "not a checkpoint"});
  expect_error<IoError>([&] { Pickle(read_file(file("evil_system.pkl")), "evil"); }, {"posix.system"});
  expect_error<IoError>([&] { Pickle(read_file(file("evil_eval.pkl")), "evil"); }, {"builtins.eval"});
  EXPECT_FALSE(fs::exists(pwned));
}

TEST(TorchCheckpoint, LegacyFilesAskToBeResaved) {
  std::string path = file("legacy.pth");
  EXPECT_TRUE(is_torch_checkpoint(path));
  expect_error<IoError>(
      [&] { open_torch_checkpoint(path); },
      {path, "not a torch.save zip checkpoint; re-save it with torch >= 1.6 (torch.save(obj, path))"});
}

TEST(TorchCheckpoint, BrokenFilesNameTheFile) {
  fs::path dir = tmp_dir("broken");
  std::string whole = read_file(file("state_dict.pth"));
  std::string truncated = write_file(dir / "truncated.pth", whole.substr(0, whole.size() / 2));
  std::string empty = write_file(dir / "empty.pth", "");
  std::mt19937 random(7);
  std::string noise(4096, '\0');
  for (char& c : noise) c = static_cast<char>(random());
  std::string bytes = write_file(dir / "random.pth", noise);
  std::string missing = (dir / "absent.pth").string();
  std::string no_pickle = file("no_pickle.pth");

  expect_error<IoError>([&] { open_torch_checkpoint(truncated); }, {truncated, "not a readable zip archive"});
  expect_error<IoError>([&] { open_torch_checkpoint(no_pickle); }, {no_pickle, "data.pkl"});
  expect_error<IoError>([&] { open_torch_checkpoint(empty); }, {empty, "empty"});
  expect_error<IoError>([&] { open_torch_checkpoint(bytes); }, {bytes, "not a checkpoint"});
  expect_error<IoError>([&] { open_torch_checkpoint(missing); }, {missing, "cannot open"});
}

TEST(TorchCheckpoint, IsTorchCheckpointLooksAtTheMagic) {
  fs::path dir = tmp_dir("magic");
  EXPECT_TRUE(is_torch_checkpoint(file("state_dict.pth")));
  EXPECT_TRUE(is_torch_checkpoint(file("legacy.pth")));
  EXPECT_FALSE(is_torch_checkpoint(file("state_dict.expected.safetensors")));
  EXPECT_FALSE(is_torch_checkpoint(file("evil_system.pkl")));
  EXPECT_FALSE(is_torch_checkpoint(write_file(dir / "empty.pth", "")));
  EXPECT_FALSE(is_torch_checkpoint((dir / "absent.pth").string()));
}

// open_weights tells the format by the first bytes; a file that is neither format, or missing, is
// reported by the reader its name suggests (it was the safetensors reader's "header length
// 17288783075300243038 exceeds ..." for a broken .pth).
TEST(TorchCheckpoint, OpenWeightsReportsBrokenPthFilesAsCheckpoints) {
  fs::path dir = tmp_dir("open_weights");
  std::string noise(4096, '\0');
  std::mt19937 random(11);
  for (char& c : noise) c = static_cast<char>(random());
  std::string pth = write_file(dir / "random.pth", noise), st = write_file(dir / "random.safetensors", noise);
  std::string missing = (dir / "absent.pth").string();
  expect_error<IoError>([&] { models::open_weights(pth); }, {"[torch_checkpoint]", pth, "not a checkpoint"});
  expect_error<IoError>([&] { models::open_weights(missing); }, {"[torch_checkpoint]", missing, "cannot open"});
  expect_error<IoError>([&] { models::open_weights(st); }, {"[safetensors]", st});
  EXPECT_EQ(models::open_weights(file("state_dict.pth"))->keys().size(),
            open_torch_checkpoint(file("state_dict.pth"))->keys().size());
}

// Archives made here with libzip, around hand-built pickles, for what torch never writes.
std::string str(const std::string& s) {  // BINUNICODE
  uint32_t n = static_cast<uint32_t>(s.size());
  std::string out = "X";
  out.append(reinterpret_cast<const char*>(&n), 4).append(s);
  return out;
}
std::string ints(std::initializer_list<int> values) {  // a tuple of BININT1
  std::string p = "(";
  for (int v : values) p.append({'K', static_cast<char>(v)});
  return p + "t";
}

// {key: a float tensor of storage "0"} as torch pickles it.
std::string tensor_pickle(const std::string& key, int offset, std::initializer_list<int> size,
                          std::initializer_list<int> stride) {
  return "\x80\x02}(" + str(key) + "ctorch._utils\n_rebuild_tensor_v2\n((" + str("storage") + "ctorch\nFloatStorage\n" +
         str("0") + str("cpu") + "K\x04tQK" + std::string(1, static_cast<char>(offset)) + ints(size) + ints(stride) +
         "\x89"
         "ccollections\nOrderedDict\n)RtRu.";
}

std::string write_zip(const fs::path& path, const std::vector<std::pair<std::string, std::string>>& entries) {
  int error = 0;
  zip_t* archive = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  if (!archive) throw std::runtime_error("zip_open failed");
  for (const auto& [name, bytes] : entries) {
    zip_source_t* source = zip_source_buffer(archive, bytes.data(), bytes.size(), 0);
    if (!source || zip_file_add(archive, name.c_str(), source, ZIP_FL_OVERWRITE) < 0)
      throw std::runtime_error("zip add failed");
  }
  if (zip_close(archive) != 0) throw std::runtime_error("zip_close failed");
  return path.string();
}

std::string floats(std::initializer_list<float> values) {
  std::string bytes;
  for (float v : values) bytes.append(reinterpret_cast<const char*>(&v), 4);
  return bytes;
}

TEST(TorchCheckpoint, HandMadeArchivesAnyFolderName) {
  fs::path dir = tmp_dir("hand_made");
  std::string path = write_zip(dir / "ok.pth", {{"weights/data.pkl", tensor_pickle("w", 1, {3}, {1})},
                                                {"weights/data/0", floats({1, 2, 3, 4})},
                                                {"weights/byteorder", "little"}});
  auto source = open_torch_checkpoint(path);
  EXPECT_EQ(read(*source, "w").to_vector(), (std::vector<float>{2, 3, 4}));
}

TEST(TorchCheckpoint, HandMadeArchivesThatLieAreRefused) {
  fs::path dir = tmp_dir("lies");
  std::string past_end = write_zip(dir / "past_end.pth", {{"archive/data.pkl", tensor_pickle("w", 2, {3}, {1})},
                                                          {"archive/data/0", floats({1, 2, 3, 4})}});
  expect_error<IoError>([&] { open_torch_checkpoint(past_end); },
                        {past_end, "'w'", "reaches past the 16 bytes of archive/data/0"});
  std::string no_storage = write_zip(dir / "no_storage.pth", {{"archive/data.pkl", tensor_pickle("w", 0, {3}, {1})}});
  expect_error<IoError>([&] { open_torch_checkpoint(no_storage); }, {no_storage, "archive/data/0, which is missing"});
  std::string big = write_zip(dir / "big.pth", {{"archive/data.pkl", tensor_pickle("w", 0, {3}, {1})},
                                                {"archive/data/0", floats({1, 2, 3, 4})},
                                                {"archive/byteorder", "big"}});
  expect_error<UnsupportedError>([&] { open_torch_checkpoint(big); }, {big, "'big'-endian"});
  std::string list = write_zip(dir / "list.pth", {{"archive/data.pkl", "\x80\x02]."}});
  expect_error<IoError>([&] { open_torch_checkpoint(list); }, {list, "holds a list, not a dict"});
  std::string none =
      write_zip(dir / "none.pth", {{"archive/data.pkl", "\x80\x02}(" + str("epoch") + "K\x03" + str("net") + "}u."}});
  expect_error<IoError>([&] { open_torch_checkpoint(none); }, {none, "no tensors", "keys: epoch, net"});
}

}  // namespace
}  // namespace lucid::io
