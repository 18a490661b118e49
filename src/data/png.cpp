// PNG through libpng, converted to RGB as PIL 9.4 does (PngImagePlugin's modes, then convert):
// gray of 1/2/4/8 bits is scaled to 8 and replicated; 16-bit gray opens as mode "I" and
// I -> RGB clips to 0..255; other 16-bit data keeps its most significant byte; alpha is dropped
// (no compositing); palette entries the PLTE lacks are PIL's default gray ramp (i, i, i).
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <vector>

#include <png.h>

#include "data/decoders.h"
#include "lucid/error.h"

namespace lucid::data {

namespace {

struct Reader {
  const uint8_t* data;
  size_t size;
  size_t pos;
  std::jmp_buf jump;
  char message[256];
};

[[noreturn]] void fail(Reader& reader, const char* what) {
  std::snprintf(reader.message, sizeof reader.message, "%s", what);
  std::longjmp(reader.jump, 1);
}

void read_bytes(png_structp png, png_bytep out, size_t length) {
  auto& reader = *static_cast<Reader*>(png_get_io_ptr(png));
  if (length > reader.size - reader.pos) fail(reader, "truncated PNG data (the file ends before the image does)");
  std::memcpy(out, reader.data + reader.pos, length);
  reader.pos += length;
}

// libpng's default error handler longjmps through png_jmpbuf; ours names the problem first.
[[noreturn]] void on_error(png_structp png, png_const_charp message) {
  auto& reader = *static_cast<Reader*>(png_get_error_ptr(png));
  std::snprintf(reader.message, sizeof reader.message, "invalid PNG data: %s", message);
  std::longjmp(reader.jump, 1);
}

// Warnings are about data libpng recovers from (an unknown sRGB profile, ...): PIL opens those too.
void on_warning(png_structp, png_const_charp) {}

uint32_t big_endian32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

// PIL's palette: PLTE's entries, then its default gray ramp for indices past them.
std::vector<uint8_t> palette_table(png_structp png, png_infop info) {
  std::vector<uint8_t> table(256 * 3);
  for (int i = 0; i < 256; ++i) table[i * 3] = table[i * 3 + 1] = table[i * 3 + 2] = static_cast<uint8_t>(i);
  png_colorp entries = nullptr;
  int count = 0;
  if (png_get_PLTE(png, info, &entries, &count) & PNG_INFO_PLTE) {
    for (int i = 0; i < count && i < 256; ++i) {
      table[i * 3] = entries[i].red;
      table[i * 3 + 1] = entries[i].green;
      table[i * 3 + 2] = entries[i].blue;
    }
  }
  return table;
}

// Rows as libpng delivered them -> interleaved RGB. `channels` counts samples per pixel,
// `wide` says they are 16-bit (only 16-bit gray without alpha is kept that wide).
void to_rgb(const uint8_t* src, uint8_t* dst, int64_t pixels, int channels, bool wide, bool palette,
            const std::vector<uint8_t>& table) {
  for (int64_t i = 0; i < pixels; ++i, dst += 3) {
    if (palette) {
      std::memcpy(dst, &table[size_t{src[0]} * 3], 3);
      src += 1;
    } else if (wide) {  // mode "I" -> RGB: clip to 0..255
      unsigned value = (unsigned{src[0]} << 8) | src[1];
      dst[0] = dst[1] = dst[2] = static_cast<uint8_t>(value > 255 ? 255 : value);
      src += 2;
    } else if (channels <= 2) {  // L or LA
      dst[0] = dst[1] = dst[2] = src[0];
      src += channels;
    } else {  // RGB or RGBA
      std::memcpy(dst, src, 3);
      src += channels;
    }
  }
}

// What run() needs that outlives a longjmp out of it.
struct Buffers {
  std::vector<uint8_t> raw;
  std::vector<png_bytep> rows;
  std::vector<uint8_t> palette;
};

// Decodes into image; on a libpng error returns false with reader.message set. Objects in this
// frame are trivially destructible, so longjmp may leave it.
bool run(png_structp png, png_infop info, Reader& reader, Buffers& buffers, Image& image) {
  if (setjmp(reader.jump)) return false;
  png_set_read_fn(png, &reader, read_bytes);
  // PIL rejects a bad CRC in the chunks before the image data, where libpng would only warn for
  // ancillary ones. PIL skips IDAT's CRCs, libpng checks them: we refuse such files too.
  png_set_crc_action(png, PNG_CRC_ERROR_QUIT, PNG_CRC_ERROR_QUIT);
  // libpng refuses sides over 10^6 by default; PNG allows 2^31 - 1 and max_pixels is the guard.
  png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
  png_read_info(png, info);

  png_uint_32 width = png_get_image_width(png, info), height = png_get_image_height(png, info);
  int color_type = png_get_color_type(png, info), depth = png_get_bit_depth(png, info);
  bool palette = color_type == PNG_COLOR_TYPE_PALETTE;
  bool wide = color_type == PNG_COLOR_TYPE_GRAY && depth == 16;
  if (palette) {
    png_set_packing(png);  // one index per byte
    buffers.palette = palette_table(png, info);
  } else if (color_type == PNG_COLOR_TYPE_GRAY && depth < 8) {
    png_set_expand_gray_1_2_4_to_8(png);  // v * 255 / (2^depth - 1), as PIL's "1", "L;2", "L;4"
  }
  if (depth == 16 && !wide) png_set_strip_16(png);  // keeps the high byte: PIL's "RGB;16B", "LA;16B", ...
  png_set_interlace_handling(png);
  png_read_update_info(png, info);

  int channels = png_get_channels(png, info);
  size_t row_bytes = png_get_rowbytes(png, info);
  image.width = width;
  image.height = height;
  image.pixels.resize(size_t{width} * height * 3);
  bool direct = !palette && !wide && channels == 3;  // libpng's rows are already ours
  if (!direct) buffers.raw.resize(row_bytes * height);
  buffers.rows.resize(height);
  for (png_uint_32 y = 0; y < height; ++y)
    buffers.rows[y] = direct ? image.pixels.data() + size_t{y} * width * 3 : buffers.raw.data() + y * row_bytes;
  png_read_image(png, buffers.rows.data());
  // No png_read_end: PIL reads nothing after the image data either.
  if (!direct)
    for (png_uint_32 y = 0; y < height; ++y)
      to_rgb(buffers.rows[y], image.pixels.data() + size_t{y} * width * 3, width, channels, wide, palette,
             buffers.palette);
  return true;
}

}  // namespace

Image decode_png(const uint8_t* data, size_t size, const std::string& name, const DecodeOptions& options) {
  // IHDR must come first (offset 8); check its size now, because png_read_info reads on to the
  // first IDAT and would report a header-only bomb as truncated rather than as too large.
  if (size >= 24 && std::memcmp(data + 12, "IHDR", 4) == 0)
    check_pixel_limit(big_endian32(data + 16), big_endian32(data + 20), name, options);

  Reader reader{data, size, 0, {}, {}};
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &reader, on_error, on_warning);
  if (!png) throw IoError("image", cat(name, ": cannot create a PNG reader"));
  png_infop info = png_create_info_struct(png);
  struct Destroy {
    png_structp& png;
    png_infop& info;
    ~Destroy() { png_destroy_read_struct(&png, info ? &info : nullptr, nullptr); }
  } destroy{png, info};
  if (!info) throw IoError("image", cat(name, ": cannot create a PNG reader"));

  Buffers buffers;
  Image image;
  if (!run(png, info, reader, buffers, image)) throw IoError("image", cat(name, ": ", reader.message));
  return image;
}

}  // namespace lucid::data
