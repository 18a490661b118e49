#include "lucid/data/image.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>

#include <jpeglib.h>  // after <cstdio>

#include "data/pil_reference.h"
#include "lucid/error.h"

namespace lucid::data {
namespace {

using namespace pil_test;

// Writes a 150x97 JPEG with libjpeg in a color space PIL cannot write (YCCK, Adobe RGB).
void write_jpeg(const fs::path& path, J_COLOR_SPACE input, J_COLOR_SPACE stored) {
  const int width = 150, height = 97, components = input == JCS_CMYK ? 4 : 3;
  std::vector<uint8_t> pixels(size_t(width) * height * components);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < components; ++c)
        pixels[(size_t(y) * width + x) * components + c] = uint8_t((x * (c + 1) * 7 + y * (3 - c % 3) * 5 + x * y / 9) % 256);
  std::FILE* file = std::fopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr) << path;
  jpeg_compress_struct cinfo{};
  jpeg_error_mgr err{};
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_compress(&cinfo);
  jpeg_stdio_dest(&cinfo, file);
  cinfo.image_width = width;
  cinfo.image_height = height;
  cinfo.input_components = components;
  cinfo.in_color_space = input;
  jpeg_set_defaults(&cinfo);
  jpeg_set_colorspace(&cinfo, stored);  // writes an Adobe marker with transform 2 (YCCK) or 0 (RGB)
  jpeg_set_quality(&cinfo, 90, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = pixels.data() + size_t(cinfo.next_scanline) * width * components;
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::fclose(file);
}

void write_ycck(const fs::path& path) { write_jpeg(path, JCS_CMYK, JCS_YCCK); }
void write_adobe_rgb(const fs::path& path) { write_jpeg(path, JCS_RGB, JCS_RGB); }

// One image PIL and decode_image both open; `mode` is PIL's mode for it, the conversion under test.
struct DecodeCase {
  std::string name;
  std::string mode;
  std::string photo;      // a file of skimage's data folder, or
  std::string synthetic;  // a pil_reference.py --synthetic image, or
  void (*write)(const fs::path&) = nullptr;  // a JPEG this test writes with libjpeg
};

std::vector<DecodeCase> decode_cases() {
  std::vector<DecodeCase> cases;
  for (auto [file, mode] : std::vector<std::pair<std::string, std::string>>{
           {"rocket.jpg", "RGB"}, {"hubble_deep_field.jpg", "RGB"}, {"retina.jpg", "RGB"}, {"chelsea.png", "RGB"},
           {"coffee.png", "RGB"}, {"astronaut.png", "RGB"}, {"camera.png", "L"}, {"cell.png", "L"},
           {"green_palette.png", "P"}, {"palette_color.png", "P"}, {"foo3x5x4indexed.png", "P"}, {"logo.png", "RGBA"},
           {"horse.png", "RGBA"}, {"checker_bilevel.png", "1"}}) {
    std::string name = file;
    name[name.find('.')] = '_';
    cases.push_back({name, mode, file, ""});
  }
  for (auto [name, mode] : std::vector<std::pair<std::string, std::string>>{
           {"jpeg_420", "RGB"}, {"jpeg_422", "RGB"}, {"jpeg_444", "RGB"}, {"jpeg_progressive", "RGB"},
           {"jpeg_gray", "L"}, {"jpeg_cmyk", "CMYK"}, {"jpeg_cmyk_no_adobe", "CMYK"}, {"png_gray1", "1"},
           {"png_gray2", "L"}, {"png_gray4", "L"}, {"png_gray16", "I"}, {"png_gray_trns", "L"}, {"png_la8", "LA"},
           {"png_la16", "RGBA"}, {"png_rgb16", "RGB"}, {"png_rgba16", "RGBA"}, {"png_rgba8", "RGBA"},
           {"png_rgb_trns", "RGB"}, {"png_palette_trns", "P"}, {"png_palette_short", "P"},
           {"png_interlaced_rgb", "RGB"}, {"png_interlaced_gray2", "L"}})
    cases.push_back({name, mode, "", name});
  cases.push_back({"jpeg_ycck", "CMYK", "", "", write_ycck});
  cases.push_back({"jpeg_adobe_rgb", "RGB", "", "", write_adobe_rgb});
  return cases;
}

void PrintTo(const DecodeCase& c, std::ostream* os) { *os << c.name; }

class Decode : public ::testing::TestWithParam<DecodeCase> {};

TEST_P(Decode, MatchesPil) {
  const DecodeCase& c = GetParam();
  fs::path dir = test_dir();
  std::string args;
  if (!c.photo.empty()) {
    ASSERT_TRUE(fs::exists(photo(c.photo))) << photo(c.photo) << " is missing: install python3-skimage";
    args = "--image '" + photo(c.photo).string() + "'";
  } else if (!c.synthetic.empty()) {
    args = "--synthetic " + c.synthetic;
  } else {
    c.write(dir / "image.jpg");
    args = "--image '" + (dir / "image.jpg").string() + "'";
  }
  Reference ref;
  ASSERT_TRUE(run_reference(dir, args, ref));
  ASSERT_TRUE(ref.manifest["error"].is_null()) << "PIL cannot open it: " << ref.manifest["error"];
  EXPECT_EQ(ref.manifest["mode"], c.mode) << "the image does not exercise the PIL mode it was meant to";
  Image image = decode_image(ref.manifest["image"].get<std::string>());
  EXPECT_TRUE(same_pixels(image, ref.bytes("decoded.bin"), ref.manifest["width"], ref.manifest["height"]));
}

INSTANTIATE_TEST_SUITE_P(Pil, Decode, ::testing::ValuesIn(decode_cases()),
                         [](const ::testing::TestParamInfo<DecodeCase>& info) { return info.param.name; });

// --- bad input ---------------------------------------------------------------------------------

// decode_image(path) throws IoError with a one-line "[image] <path>: ..." message containing `what`.
void expect_io_error(const fs::path& path, const std::string& what, const DecodeOptions& options = {}) {
  try {
    Image image = decode_image(path.string(), options);
    ADD_FAILURE() << "decoded " << path << " (" << image.width << "x" << image.height << ")";
  } catch (const IoError& e) {
    std::string message = e.what();
    EXPECT_EQ(message.rfind("[image] " + path.string() + ": ", 0), 0u) << message;
    EXPECT_NE(message.find(what), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

// Whether PIL opens the file: the reference for what should be refused.
bool pil_opens(const fs::path& dir, const fs::path& path) {
  Reference ref;
  EXPECT_TRUE(run_reference(dir / "pil", "--image '" + path.string() + "'", ref));
  return ref.manifest.value("error", nlohmann::json()).is_null();
}

std::string photo_bytes(const std::string& name) {
  std::string bytes = read_text(photo(name));
  EXPECT_FALSE(bytes.empty()) << photo(name) << " is missing: install python3-skimage";
  return bytes;
}

// Offset of the first chunk of `type` in a PNG (its length field).
size_t png_chunk(const std::string& png, const std::string& type) {
  size_t pos = 8;
  while (pos + 8 <= png.size()) {
    uint32_t length = (uint32_t(uint8_t(png[pos])) << 24) | (uint32_t(uint8_t(png[pos + 1])) << 16) |
                      (uint32_t(uint8_t(png[pos + 2])) << 8) | uint8_t(png[pos + 3]);
    if (png.compare(pos + 4, 4, type) == 0) return pos;
    pos += 12 + length;
  }
  ADD_FAILURE() << "no " << type << " chunk";
  return 0;
}

uint32_t crc32(const std::string& bytes) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char byte : bytes) {
    crc ^= byte;
    for (int i = 0; i < 8; ++i) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

std::string big_endian32(uint32_t v) {
  return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
}

std::string chunk(const std::string& type, const std::string& data) {
  return big_endian32(uint32_t(data.size())) + type + data + big_endian32(crc32(type + data));
}

TEST(ImageErrors, TruncatedJpegFromSkimage) {
  fs::path dir = test_dir();
  expect_io_error(photo("truncated.jpg"), "truncated JPEG data");
  EXPECT_FALSE(pil_opens(dir, photo("truncated.jpg")));
}

// libjpeg would pad the missing part with gray and warn; PIL refuses the file, even when only
// the final EOI marker is missing.
TEST(ImageErrors, JpegCutShort) {
  fs::path dir = test_dir();
  std::string rocket = photo_bytes("rocket.jpg");
  for (size_t keep : {rocket.size() - 2, rocket.size() / 2, size_t{700}}) {
    fs::path path = dir / ("rocket_" + std::to_string(keep) + ".jpg");
    write_bytes(path, rocket.substr(0, keep));
    expect_io_error(path, "truncated JPEG data");
    EXPECT_FALSE(pil_opens(dir, path)) << keep;
  }
}

// A frame header claiming 0x16 pixels: libjpeg's error_exit, which would call exit().
TEST(ImageErrors, JpegBadFrameHeader) {
  fs::path path = test_dir() / "empty_frame.jpg";
  write_bytes(path, std::string("\xff\xd8\xff\xc0\x00\x0b\x08\x00\x00\x00\x10\x01\x01\x11\x00", 15) + std::string(64, '\0'));
  expect_io_error(path, "invalid JPEG data: Empty JPEG image");
}

// libpng checks every CRC it reads. PIL ignores IDAT's (it decodes this file), but not the CRC of
// the chunks before it; we refuse both: a damaged file is not worth a guess.
TEST(ImageErrors, PngBadCrc) {
  fs::path dir = test_dir();
  std::string coffee = photo_bytes("coffee.png");
  size_t idat = png_chunk(coffee, "IDAT");
  uint32_t length = (uint32_t(uint8_t(coffee[idat])) << 24) | (uint32_t(uint8_t(coffee[idat + 1])) << 16) |
                    (uint32_t(uint8_t(coffee[idat + 2])) << 8) | uint8_t(coffee[idat + 3]);
  std::string bad = coffee;
  bad[idat + 8 + length] ^= 0x5a;
  write_bytes(dir / "idat_crc.png", bad);
  expect_io_error(dir / "idat_crc.png", "IDAT: CRC error");
  EXPECT_TRUE(pil_opens(dir, dir / "idat_crc.png"));

  bad = coffee;
  size_t phys = png_chunk(coffee, "pHYs");
  bad[phys + 8 + 9] ^= 0x01;  // pHYs holds 9 bytes; this is its CRC
  write_bytes(dir / "phys_crc.png", bad);
  expect_io_error(dir / "phys_crc.png", "CRC error");
  EXPECT_FALSE(pil_opens(dir, dir / "phys_crc.png"));
}

TEST(ImageErrors, PngCorruptOrTruncatedData) {
  fs::path dir = test_dir();
  std::string coffee = photo_bytes("coffee.png");
  std::string bad = coffee;
  bad[png_chunk(coffee, "IDAT") + 8 + 4000] ^= 0x01;
  write_bytes(dir / "flipped.png", bad);
  expect_io_error(dir / "flipped.png", "invalid PNG data");
  EXPECT_FALSE(pil_opens(dir, dir / "flipped.png"));

  write_bytes(dir / "half.png", coffee.substr(0, coffee.size() / 2));
  expect_io_error(dir / "half.png", "truncated PNG data");
  EXPECT_FALSE(pil_opens(dir, dir / "half.png"));
}

TEST(ImageErrors, TextFileNamedJpg) {
  fs::path dir = test_dir();
  write_bytes(dir / "notes.jpg", "hello, this is text\n");
  expect_io_error(dir / "notes.jpg", "not a JPEG or PNG file (starts with 68 65 6c 6c 6f 2c 20 74)");
  EXPECT_FALSE(pil_opens(dir, dir / "notes.jpg"));
}

TEST(ImageErrors, EmptyFile) {
  fs::path dir = test_dir();
  write_bytes(dir / "empty.jpg", "");
  expect_io_error(dir / "empty.jpg", "empty file");
  EXPECT_FALSE(pil_opens(dir, dir / "empty.jpg"));
}

TEST(ImageErrors, OtherFormatsAreNamed) { expect_io_error(photo("no_time_for_that_tiny.gif"), "is a GIF image"); }

TEST(ImageErrors, MissingFileAndDirectory) {
  fs::path dir = test_dir();
  expect_io_error(dir / "absent.png", "cannot open: No such file or directory");
  expect_io_error(dir, "cannot read: Is a directory");
}

// Only the header: were it decoded, the pixels would take 30 GB.
TEST(ImageErrors, PngHeaderClaiming100000x100000) {
  fs::path path = test_dir() / "bomb.png";
  std::string ihdr = big_endian32(100000) + big_endian32(100000) + std::string("\x08\x02\x00\x00\x00", 5);
  write_bytes(path, "\x89PNG\r\n\x1a\n" + chunk("IHDR", ihdr) + chunk("IEND", ""));
  expect_io_error(path, "100000x100000 is 10000000000 pixels, over the limit of 178956970");
}

// The largest sides a PNG header can spell: their product overflows int64 (found by fuzzing).
TEST(ImageErrors, PngHeaderClaimingFourBillionSquared) {
  fs::path path = test_dir() / "huge.png";
  std::string ihdr = big_endian32(0xffffffffu) + big_endian32(0xffffffffu) + std::string("\x08\x02\x00\x00\x00", 5);
  write_bytes(path, "\x89PNG\r\n\x1a\n" + chunk("IHDR", ihdr) + chunk("IEND", ""));
  EXPECT_THROW(decode_image(path.string()), IoError);
}

TEST(ImageErrors, MaxPixelsIsCheckedBeforeDecoding) {
  expect_io_error(photo("rocket.jpg"), "640x427 is 273280 pixels, over the limit of 273279", {.max_pixels = 273279});
  expect_io_error(photo("coffee.png"), "600x400 is 240000 pixels", {.max_pixels = 1000});
  EXPECT_EQ(decode_image(photo("rocket.jpg").string(), {.max_pixels = 273280}).width, 640);
  EXPECT_THROW(decode_image(photo("rocket.jpg").string(), {.max_pixels = 0}), ValueError);
}

TEST(ImageErrors, BytesAndPathDecodeAlike) {
  std::string bytes = photo_bytes("chelsea.png");
  Image from_bytes = decode_image(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "chelsea");
  Image from_path = decode_image(photo("chelsea.png").string());
  EXPECT_EQ(from_bytes.width, 451);
  EXPECT_EQ(from_bytes.height, 300);
  EXPECT_EQ(from_bytes.pixels, from_path.pixels);
}

// Damaged files either decode or throw IoError; never anything else, never a crash.
TEST(ImageErrors, MutatedFilesDecodeOrThrowIoError) {
  std::mt19937 rng(7);
  for (const char* name : {"rocket.jpg", "chelsea.png", "green_palette.png"}) {
    std::string original = photo_bytes(name);
    int refused = 0;
    for (int trial = 0; trial < 150; ++trial) {
      std::string bytes = original;
      if (trial % 3 == 0) {
        bytes.resize(std::uniform_int_distribution<size_t>(1, bytes.size() - 1)(rng));
      } else {
        for (int flips = 0; flips < 1 + trial % 4; ++flips)
          bytes[std::uniform_int_distribution<size_t>(0, bytes.size() - 1)(rng)] ^= char(1 + rng() % 255);
      }
      try {
        Image image = decode_image(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), name);
        EXPECT_EQ(image.pixels.size(), size_t(image.width * image.height * 3));
      } catch (const IoError& e) {
        EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
        ++refused;
      }
    }
    EXPECT_GE(refused, 40) << name;  // about every cut file, and some damaged ones
  }
}

}  // namespace
}  // namespace lucid::data
