// Decoding JPEG (libjpeg-turbo) and PNG (libpng) files into 8-bit RGB, exactly as PIL's
// Image.open(path).convert("RGB") does, so that preprocessing matches torchvision on PIL images.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lucid::data {

// Interleaved 8-bit RGB, row-major: pixels[(y * width + x) * 3 + channel].
struct Image {
  int64_t width = 0;
  int64_t height = 0;
  std::vector<uint8_t> pixels;
};

struct DecodeOptions {
  // Refuse images with more pixels than this before decoding them (a decompression-bomb guard;
  // PIL refuses above 2 x 89478485).
  int64_t max_pixels = 178956970;
};

// The format is told by the file's first bytes, not its name. Throws IoError naming the file
// and the problem (unknown format, truncated data, bad CRC, too many pixels, ...).
Image decode_image(const std::string& path, const DecodeOptions& options = {});
Image decode_image(const uint8_t* data, size_t size, const std::string& name, const DecodeOptions& options = {});

}  // namespace lucid::data
