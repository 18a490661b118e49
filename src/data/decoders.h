// The per-format decoders behind decode_image (image.cpp sniffs the format and dispatches).
// Each returns 8-bit RGB as PIL's Image.open(...).convert("RGB") would, and throws IoError
// "[image] <name>: <what>".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "lucid/data/image.h"

namespace lucid::data {

Image decode_jpeg(const uint8_t* data, size_t size, const std::string& name, const DecodeOptions& options);
Image decode_png(const uint8_t* data, size_t size, const std::string& name, const DecodeOptions& options);

// Called with the size read from the header, before any pixel memory is allocated.
void check_pixel_limit(int64_t width, int64_t height, const std::string& name, const DecodeOptions& options);

}  // namespace lucid::data
