#include "lucid/io/safetensors.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "lucid/error.h"

namespace lucid::io {
namespace {

namespace fs = std::filesystem;

fs::path tmp_dir(const std::string& name) {
  fs::path dir = fs::path(LUCID_TEST_TMP) / "safetensors" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string le64(uint64_t value) {
  std::string bytes(8, '\0');
  std::memcpy(bytes.data(), &value, 8);
  return bytes;
}

std::string u16_bytes(std::initializer_list<uint16_t> values) {
  std::string bytes;
  for (uint16_t v : values) bytes.append(reinterpret_cast<const char*>(&v), 2);
  return bytes;
}

// A file laid out by hand: the 8-byte length, the header exactly as given, the data.
std::string raw_file(const std::string& header, const std::string& data) { return le64(header.size()) + header + data; }

std::string write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path.string();
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<std::string> list_dir(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& item : fs::directory_iterator(dir)) names.push_back(item.path().filename().string());
  return names;
}

TEST(Safetensors, RoundTripF32AndI64WithMetadata) {
  fs::path dir = tmp_dir("round_trip");
  std::string path = (dir / "model.safetensors").string();
  Tensor weight = Tensor::from_vector({2, 3}, {1.5f, -2.0f, 0.0f, 3.25f, 1e-30f, -7.0f});
  Tensor steps = Tensor::empty({}, DType::I64);
  steps.data<int64_t>()[0] = int64_t{1} << 40;
  Tensor empty = Tensor::empty({0, 4});
  save_safetensors(path, {{"weight", weight}, {"steps", steps}, {"empty", empty}}, {{"format", "pt"}});

  std::string bytes = read_file(path);
  uint64_t header_bytes;
  std::memcpy(&header_bytes, bytes.data(), 8);
  EXPECT_EQ(header_bytes % 8, 0u);
  EXPECT_EQ(bytes.size(), 8 + header_bytes + 24 + 8);

  SafetensorsFile file = SafetensorsFile::open(path);
  EXPECT_EQ(file.path(), path);
  EXPECT_EQ(file.metadata(), (std::map<std::string, std::string>{{"format", "pt"}}));
  ASSERT_EQ(file.entries().size(), 3u);
  const auto& w = file.entry("weight");
  EXPECT_EQ(w.dtype, "F32");
  EXPECT_EQ(w.shape, (Shape{2, 3}));
  EXPECT_EQ(w.begin, 0u);
  EXPECT_EQ(w.end, 24u);
  EXPECT_EQ(file.entry("steps").begin, 24u);
  EXPECT_EQ(file.entry("steps").shape, Shape{});
  EXPECT_TRUE(file.contains("empty"));
  EXPECT_FALSE(file.contains("bias"));

  EXPECT_EQ(file.load("weight").to_vector(), weight.to_vector());
  Tensor loaded_steps = file.load("steps");
  EXPECT_EQ(loaded_steps.dtype(), DType::I64);
  EXPECT_EQ(loaded_steps.data<int64_t>()[0], int64_t{1} << 40);
  EXPECT_EQ(file.load("empty").shape(), (Shape{0, 4}));

  Tensor into = Tensor::zeros({2, 3});
  file.load_into("weight", into);
  EXPECT_EQ(into.to_vector(), weight.to_vector());
  Tensor steps_into = Tensor::zeros({}, DType::I64);
  file.load_into("steps", steps_into);
  EXPECT_EQ(steps_into.data<int64_t>()[0], int64_t{1} << 40);
}

TEST(Safetensors, HeaderOnlyFileIsValid) {
  fs::path dir = tmp_dir("header_only");
  std::string path = (dir / "empty.safetensors").string();
  save_safetensors(path, {});
  SafetensorsFile file = SafetensorsFile::open(path);
  EXPECT_TRUE(file.entries().empty());
  EXPECT_TRUE(file.metadata().empty());
  EXPECT_EQ(read_file(path).size(), 16u);  // "{}" padded to 8 bytes
}

TEST(Safetensors, F16LoadsAsFloat) {
  fs::path dir = tmp_dir("f16");
  // An odd header length puts the data at an odd address: loads must not assume alignment.
  std::string header = R"({"h":{"dtype":"F16","shape":[2,3],"data_offsets":[0,12]}})";
  if (header.size() % 2 == 0) header += ' ';
  std::string path = write_file(dir / "h.safetensors",
                                raw_file(header, u16_bytes({0x3c00, 0xc000, 0x0001, 0x7bff, 0x8000, 0x7c00})));
  SafetensorsFile file = SafetensorsFile::open(path);
  Tensor t = file.load("h");
  EXPECT_EQ(t.dtype(), DType::F32);
  EXPECT_EQ(t.shape(), (Shape{2, 3}));
  std::vector<float> v = t.to_vector();
  EXPECT_EQ(v[0], 1.0f);
  EXPECT_EQ(v[1], -2.0f);
  EXPECT_EQ(v[2], std::ldexp(1.0f, -24));  // the smallest subnormal half
  EXPECT_EQ(v[3], 65504.0f);
  EXPECT_EQ(v[4], 0.0f);
  EXPECT_TRUE(std::signbit(v[4]));
  EXPECT_EQ(v[5], std::numeric_limits<float>::infinity());

  Tensor into = Tensor::zeros({2, 3});
  file.load_into("h", into);
  EXPECT_EQ(into.to_vector(), v);
}

TEST(Safetensors, BF16LoadsAsFloat) {
  fs::path dir = tmp_dir("bf16");
  std::string header = R"({"b":{"dtype":"BF16","shape":[4],"data_offsets":[0,8]}})";
  std::string path = write_file(dir / "b.safetensors", raw_file(header, u16_bytes({0x3f80, 0xc0a0, 0x3e80, 0x0001})));
  SafetensorsFile file = SafetensorsFile::open(path);
  std::vector<float> v = file.load("b").to_vector();
  EXPECT_EQ(v[0], 1.0f);
  EXPECT_EQ(v[1], -5.0f);
  EXPECT_EQ(v[2], 0.25f);
  EXPECT_EQ(v[3], std::ldexp(1.0f, -133));  // the smallest subnormal bfloat16
}

TEST(Safetensors, HalfTensorsAreSavedAsTheyAre) {
  fs::path dir = tmp_dir("save_half");
  std::string path = (dir / "half.safetensors").string();
  Tensor h = Tensor::empty({2}, DType::F16);
  h.data<uint16_t>()[0] = 0x3c00;
  h.data<uint16_t>()[1] = 0x4000;
  Tensor b = Tensor::empty({1}, DType::BF16);
  b.data<uint16_t>()[0] = 0xbf80;
  save_safetensors(path, {{"h", h}, {"b", b}});
  SafetensorsFile file = SafetensorsFile::open(path);
  EXPECT_EQ(file.entry("h").dtype, "F16");
  EXPECT_EQ(file.entry("b").dtype, "BF16");
  EXPECT_EQ(file.load("h").to_vector(), (std::vector<float>{1.0f, 2.0f}));
  EXPECT_EQ(file.load("b").to_vector(), (std::vector<float>{-1.0f}));
  Tensor same = Tensor::zeros({2}, DType::F16);
  file.load_into("h", same);
  EXPECT_EQ(same.data<uint16_t>()[1], 0x4000);
}

TEST(Safetensors, LoadIntoShapeMismatchNamesKeyAndShapes) {
  fs::path dir = tmp_dir("mismatch");
  std::string path = (dir / "m.safetensors").string();
  save_safetensors(path, {{"layer1.0.conv1.weight", Tensor::zeros({128, 64, 1, 1})}});
  SafetensorsFile file = SafetensorsFile::open(path);
  Tensor dst = Tensor::zeros({256, 64, 1, 1});
  try {
    file.load_into("layer1.0.conv1.weight", dst);
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "[load] layer1.0.conv1.weight: file has 128x64x1x1, model has 256x64x1x1");
  }
}

TEST(Safetensors, LoadChecksDtypes) {
  fs::path dir = tmp_dir("dtypes");
  std::string header =
      R"({"i":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"u":{"dtype":"U8","shape":[2],"data_offsets":[8,10]}})";
  std::string path = write_file(dir / "d.safetensors", raw_file(header, std::string(10, '\0')));
  SafetensorsFile file = SafetensorsFile::open(path);
  Tensor f32 = Tensor::zeros({1});
  try {
    file.load_into("i", f32);
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_STREQ(e.what(), "[load] i: file has I64, model has F32");
  }
  try {
    file.load("u");
    FAIL() << "expected UnsupportedError";
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("u: dtype U8"), std::string::npos) << e.what();
  }
  try {
    file.entry("missing");
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("no tensor named 'missing'"), std::string::npos) << e.what();
  }
}

TEST(Safetensors, LoadIntoStillReadsAfterPagesAreDropped) {
  fs::path dir = tmp_dir("release");
  std::string path = (dir / "big.safetensors").string();
  std::vector<float> values(100000);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i) * 0.5f;
  save_safetensors(path, {{"a", Tensor::from_vector({100000}, values)}, {"b", Tensor::full({3}, 2.0f)}});
  SafetensorsFile file = SafetensorsFile::open(path);
  for (int round = 0; round < 2; ++round) {
    Tensor dst = Tensor::zeros({100000});
    file.load_into("a", dst);
    EXPECT_EQ(dst.to_vector(), values);
  }
  EXPECT_EQ(file.load("b").to_vector(), (std::vector<float>{2.0f, 2.0f, 2.0f}));
}

TEST(Safetensors, SaveIsAtomicAndReplaces) {
  fs::path dir = tmp_dir("atomic");
  std::string path = (dir / "w.safetensors").string();
  save_safetensors(path, {{"x", Tensor::full({4}, 1.0f)}});
  save_safetensors(path, {{"y", Tensor::full({2}, 3.0f)}});
  EXPECT_EQ(list_dir(dir), std::vector<std::string>{"w.safetensors"});
  SafetensorsFile file = SafetensorsFile::open(path);
  EXPECT_FALSE(file.contains("x"));
  EXPECT_EQ(file.load("y").to_vector(), (std::vector<float>{3.0f, 3.0f}));
}

TEST(Safetensors, SaveIntoMissingFolderFailsCleanly) {
  fs::path dir = tmp_dir("missing_folder");
  std::string path = (dir / "no_such_dir" / "w.safetensors").string();
  try {
    save_safetensors(path, {{"x", Tensor::full({4}, 1.0f)}});
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find(path), std::string::npos) << what;
    EXPECT_NE(what.find("No such file or directory"), std::string::npos) << what;
  }
  EXPECT_TRUE(list_dir(dir).empty());
}

TEST(Safetensors, FailedRenameKeepsTargetAndRemovesTemporary) {
  fs::path dir = tmp_dir("failed_rename");
  fs::path target = dir / "taken";
  fs::create_directories(target / "inside");  // rename cannot replace a non-empty folder
  EXPECT_THROW(save_safetensors(target.string(), {{"x", Tensor::full({4}, 1.0f)}}), IoError);
  EXPECT_EQ(list_dir(dir), std::vector<std::string>{"taken"});
  EXPECT_TRUE(fs::is_directory(target / "inside"));
}

TEST(Safetensors, SaveRejectsBadNames) {
  fs::path dir = tmp_dir("duplicates");
  std::string path = (dir / "d.safetensors").string();
  EXPECT_THROW(save_safetensors(path, {{"x", Tensor::full({1}, 1.0f)}, {"x", Tensor::full({1}, 2.0f)}}), ValueError);
  EXPECT_THROW(save_safetensors(path, {{"__metadata__", Tensor::full({1}, 1.0f)}}), ValueError);
  EXPECT_THROW(save_safetensors(path, {{"bad\xff", Tensor::full({1}, 1.0f)}}), ValueError);
  EXPECT_TRUE(list_dir(dir).empty());
}

TEST(Safetensors, OpenRejectsMissingFileAndFolder) {
  fs::path dir = tmp_dir("not_files");
  EXPECT_THROW(SafetensorsFile::open((dir / "absent.safetensors").string()), IoError);
  EXPECT_THROW(SafetensorsFile::open(dir.string()), IoError);
}

// Hostile files: each must give an IoError naming the file and the problem, never a crash.
struct HostileCase {
  std::string name;
  std::string bytes;
  std::vector<std::string> expected;  // substrings of the message
};

std::string f32_entry(const std::string& key, const std::string& shape, const std::string& offsets) {
  return "\"" + key + R"(":{"dtype":"F32","shape":)" + shape + R"(,"data_offsets":)" + offsets + "}";
}

std::vector<HostileCase> hostile_cases() {
  const std::string four(4, '\0');
  return {
      {"EmptyFile", "", {"file is 0 bytes"}},
      {"FiveBytes", "abcde", {"file is 5 bytes"}},
      {"HeaderLength2Pow63", le64(uint64_t{1} << 63) + "{}", {"header length 9223372036854775808", "limit"}},
      {"HeaderLongerThanFile", le64(100) + "{}      ", {"header length 100 is larger than the 8 bytes"}},
      {"HeaderNotJson", raw_file("{not json", ""), {"not valid JSON"}},
      {"HeaderUnterminatedString", raw_file("{\"" + std::string(100000, 'a'), ""), {"not valid JSON"}},
      {"HeaderJsonArray", raw_file("[1,2]", ""), {"must be a JSON object", "[1,2]"}},
      {"HeaderDeeplyNested", raw_file(std::string(100000, '[') + std::string(100000, ']'), ""), {"nests deeper"}},
      {"EntryNotObject", raw_file(R"({"w":5})", ""), {"'w' must be an object"}},
      {"HugeKeyName", raw_file("{\"" + std::string(100000, 'k') + R"(":{"dtype":"Q7","shape":[1],"data_offsets":[0,4]}})", four),
       {"unknown dtype 'Q7'", "kkk..."}},
      {"MissingDataOffsets", raw_file(R"({"w":{"dtype":"F32","shape":[1]}})", four), {"'w' has no data_offsets"}},
      {"MissingDtype", raw_file(R"({"w":{"shape":[1],"data_offsets":[0,4]}})", four), {"'w' has no dtype"}},
      {"DtypeNotString", raw_file(R"({"w":{"dtype":4,"shape":[1],"data_offsets":[0,4]}})", four), {"'w' dtype must be a string"}},
      {"UnknownDtype", raw_file(R"({"w":{"dtype":"Q7","shape":[1],"data_offsets":[0,4]}})", four), {"'w' has unknown dtype 'Q7'"}},
      {"NegativeShape", raw_file("{" + f32_entry("w", "[2,-3]", "[0,24]") + "}", std::string(24, '\0')),
       {"'w' shape [2,-3]", "non-negative integer"}},
      {"FractionalShape", raw_file("{" + f32_entry("w", "[1.5]", "[0,4]") + "}", four), {"'w' shape [1.5]"}},
      {"ShapeNotArray", raw_file("{" + f32_entry("w", "\"2x3\"", "[0,24]") + "}", four), {"'w' shape must be an array"}},
      {"OffsetsReversed", raw_file("{" + f32_entry("w", "[1]", "[4,0]") + "}", four), {"'w' data_offsets", "[4,0]"}},
      {"OffsetsNegative", raw_file("{" + f32_entry("w", "[1]", "[-4,0]") + "}", four), {"'w' data_offsets", "[-4,0]"}},
      {"OffsetsThreeNumbers", raw_file("{" + f32_entry("w", "[1]", "[0,4,8]") + "}", four), {"'w' data_offsets"}},
      {"OffsetsBeyondFile", raw_file("{" + f32_entry("w", "[2]", "[0,8]") + "}", four),
       {"'w' offsets [0, 8] point outside the file", "data section has 4 bytes"}},
      {"ByteCountMismatch", raw_file("{" + f32_entry("w", "[2,3]", "[0,20]") + "}", std::string(24, '\0')),
       {"'w' has shape 2x3 of F32", "needs 24 bytes", "[0, 20] hold 20"}},
      {"OverlappingEntries",
       raw_file("{" + f32_entry("a", "[2]", "[0,8]") + "," + f32_entry("b", "[2]", "[4,12]") + "}", std::string(12, '\0')),
       {"'a' [0, 8] and 'b' [4, 12] overlap"}},
      {"TeraElementsOutsideFile",
       raw_file("{" + f32_entry("w", "[1000000,1000000]", "[0,4000000000000]") + "}", four), {"point outside the file"}},
      {"TeraElementsSmallRange", raw_file("{" + f32_entry("w", "[1000000,1000000]", "[0,4]") + "}", four),
       {"needs 4000000000000 bytes"}},
      {"ElementCountOverflow", raw_file("{" + f32_entry("w", "[4611686018427387904,4]", "[0,4]") + "}", four),
       {"more elements than any file can hold"}},
      {"MetadataNotStrings", raw_file(R"({"__metadata__":{"epoch":3}})", ""), {"__metadata__ 'epoch' must be a string"}},
      {"MetadataNotObject", raw_file(R"({"__metadata__":["a"]})", ""), {"__metadata__ must be an object"}},
  };
}

// gtest would print the raw bytes of a case; its name says enough.
void PrintTo(const HostileCase& c, std::ostream* out) { *out << c.name; }

class Hostile : public testing::TestWithParam<HostileCase> {};

TEST_P(Hostile, GivesIoErrorNamingFileAndProblem) {
  const HostileCase& c = GetParam();
  std::string path = write_file(tmp_dir("hostile_" + c.name) / "bad.safetensors", c.bytes);
  try {
    SafetensorsFile::open(path);
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    std::string what = e.what();
    EXPECT_EQ(what.rfind("[safetensors] " + path + ": ", 0), 0u) << what;
    for (const std::string& part : c.expected) EXPECT_NE(what.find(part), std::string::npos) << what;
    EXPECT_LT(what.size(), 400u) << "messages stay short even for huge headers";
  }
}

TEST(Safetensors, TruncatedFileGivesIoError) {
  fs::path dir = tmp_dir("truncated");
  std::string path = (dir / "t.safetensors").string();
  save_safetensors(path, {{"a", Tensor::full({16}, 1.0f)}, {"b", Tensor::full({16}, 2.0f)}});
  fs::resize_file(path, fs::file_size(path) - 40);  // cuts "b" in the middle
  try {
    SafetensorsFile::open(path);
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("'b' offsets [64, 128] point outside the file"), std::string::npos) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(Safetensors, Hostile, testing::ValuesIn(hostile_cases()),
                         [](const testing::TestParamInfo<HostileCase>& info) { return info.param.name; });

}  // namespace
}  // namespace lucid::io
