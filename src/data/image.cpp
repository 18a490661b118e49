// decode_image: reads the file, tells JPEG from PNG by the first bytes (never by the name) and
// dispatches to jpeg.cpp or png.cpp; the decompression-bomb guard both decoders call.
#include "lucid/data/image.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "data/decoders.h"
#include "lucid/error.h"

namespace lucid::data {

namespace {

bool starts_with(const uint8_t* data, size_t size, const char* magic, size_t length) {
  return size >= length && std::memcmp(data, magic, length) == 0;
}

// Formats PIL would open but this library does not: named, so the message says what the file is.
const char* other_format(const uint8_t* data, size_t size) {
  if (starts_with(data, size, "GIF87a", 6) || starts_with(data, size, "GIF89a", 6)) return "GIF";
  if (starts_with(data, size, "BM", 2)) return "BMP";
  if (starts_with(data, size, "II*\0", 4) || starts_with(data, size, "MM\0*", 4)) return "TIFF";
  if (size >= 12 && starts_with(data, size, "RIFF", 4) && std::memcmp(data + 8, "WEBP", 4) == 0) return "WebP";
  return nullptr;
}

std::string hex_prefix(const uint8_t* data, size_t size) {
  std::string text;
  char byte[4];
  for (size_t i = 0; i < size && i < 8; ++i) {
    std::snprintf(byte, sizeof byte, i ? " %02x" : "%02x", data[i]);
    text += byte;
  }
  return text;
}

}  // namespace

void check_pixel_limit(int64_t width, int64_t height, const std::string& name, const DecodeOptions& options) {
  // Divide rather than multiply: two 32-bit sides can overflow int64 (found by fuzzing). Their
  // product always fits in uint64, so that is what the message prints.
  if (width > 0 && height > 0 && width > options.max_pixels / height)
    throw IoError("image", cat(name, ": ", width, "x", height, " is ",
                               static_cast<uint64_t>(width) * static_cast<uint64_t>(height), " pixels, over the limit of ",
                               options.max_pixels, " (DecodeOptions::max_pixels)"));
}

Image decode_image(const uint8_t* data, size_t size, const std::string& name, const DecodeOptions& options) {
  if (options.max_pixels <= 0)
    throw ValueError("image", cat("max_pixels must be positive, got ", options.max_pixels));
  if (size == 0) throw IoError("image", cat(name, ": empty file"));
  if (starts_with(data, size, "\xff\xd8\xff", 3)) return decode_jpeg(data, size, name, options);
  if (starts_with(data, size, "\x89PNG\r\n\x1a\n", 8)) return decode_png(data, size, name, options);
  if (const char* format = other_format(data, size))
    throw IoError("image", cat(name, ": is a ", format, " image; only JPEG and PNG can be decoded"));
  throw IoError("image", cat(name, ": not a JPEG or PNG file (starts with ", hex_prefix(data, size), ")"));
}

Image decode_image(const std::string& path, const DecodeOptions& options) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) throw IoError("image", cat(path, ": cannot open: ", std::strerror(errno)));
  std::vector<uint8_t> bytes;
  uint8_t chunk[1 << 16];
  size_t got;
  while ((got = std::fread(chunk, 1, sizeof chunk, file.get())) > 0) bytes.insert(bytes.end(), chunk, chunk + got);
  if (std::ferror(file.get())) throw IoError("image", cat(path, ": cannot read: ", std::strerror(errno)));
  return decode_image(bytes.data(), bytes.size(), path, options);
}

}  // namespace lucid::data
