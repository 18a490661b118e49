// JPEG through libjpeg-turbo with PIL 9.4's settings (JpegDecode.c): the library defaults
// (islow DCT, fancy upsampling), out_color_space RGB for 1 and 3 components (gray is
// replicated, as PIL's L -> RGB does) and CMYK for 4, then PIL's CMYK -> RGB.
#include <csetjmp>
#include <cstdio>
#include <vector>

#include <jpeglib.h>  // needs <cstdio> first
#include <jerror.h>

#include "data/decoders.h"
#include "lucid/error.h"

namespace lucid::data {

namespace {

struct ErrorManager {
  jpeg_error_mgr pub;  // first: libjpeg hands back &pub as cinfo->err
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX + 64];
};

// libjpeg's default error_exit calls exit(); jump back to run() instead.
[[noreturn]] void error_exit(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  char text[JMSG_LENGTH_MAX];
  cinfo->err->format_message(cinfo, text);
  std::snprintf(err->message, sizeof err->message, "invalid JPEG data: %s", text);
  std::longjmp(err->jump, 1);
}

// At the end of the data libjpeg warns and pads the image with gray; PIL refuses such a file
// ("image file is truncated", even when only the EOI marker is missing), and so do we. Other
// warnings are about corrupt data libjpeg recovers from: PIL ignores them, so we keep its pixels.
void emit_message(j_common_ptr cinfo, int level) {
  if (level != -1 || cinfo->err->msg_code != JWRN_JPEG_EOF) return;
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  std::snprintf(err->message, sizeof err->message, "truncated JPEG data (the file ends before the image does)");
  std::longjmp(err->jump, 1);
}

// PIL opens 4-component JPEGs as "CMYK;I" (Adobe's inverted polarity, assumed whether or not an
// Adobe marker is present), then Convert.c's cmyk2rgb: nk = 255 - K, out = nk - nk * C / 255
// rounded by MULDIV255.
void inverted_cmyk_to_rgb(const uint8_t* src, uint8_t* dst, int64_t width) {
  auto muldiv255 = [](int a, int b) {
    int t = a * b + 128;
    return ((t >> 8) + t) >> 8;
  };
  for (int64_t x = 0; x < width; ++x, src += 4, dst += 3) {
    int nk = src[3];  // 255 - (255 - raw K)
    for (int c = 0; c < 3; ++c) dst[c] = static_cast<uint8_t>(nk - muldiv255(255 - src[c], nk));  // in 0..nk
  }
}

// Decodes into image; on a libjpeg error returns false with err.message set. Objects in this
// frame are trivially destructible, so longjmp may leave it; check_pixel_limit may throw through it.
bool run(jpeg_decompress_struct& cinfo, ErrorManager& err, const uint8_t* data, size_t size,
         const std::string& name, const DecodeOptions& options, Image& image) {
  if (setjmp(err.jump)) return false;
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(size));
  jpeg_read_header(&cinfo, TRUE);
  int components = cinfo.num_components;
  if (components != 1 && components != 3 && components != 4) {
    std::snprintf(err.message, sizeof err.message, "JPEG with %d components is not supported (1, 3 or 4)", components);
    return false;
  }
  check_pixel_limit(cinfo.image_width, cinfo.image_height, name, options);
  cinfo.out_color_space = components == 4 ? JCS_CMYK : JCS_RGB;
  jpeg_start_decompress(&cinfo);

  image.width = cinfo.output_width;
  image.height = cinfo.output_height;
  image.pixels.resize(static_cast<size_t>(image.width * image.height * 3));
  JSAMPARRAY cmyk = components == 4 ? cinfo.mem->alloc_sarray(reinterpret_cast<j_common_ptr>(&cinfo), JPOOL_IMAGE,
                                                               cinfo.output_width * 4, 1)
                                    : nullptr;
  while (cinfo.output_scanline < cinfo.output_height) {
    uint8_t* row = image.pixels.data() + static_cast<size_t>(cinfo.output_scanline) * image.width * 3;
    JSAMPROW target = cmyk ? cmyk[0] : row;
    jpeg_read_scanlines(&cinfo, &target, 1);
    if (cmyk) inverted_cmyk_to_rgb(cmyk[0], row, image.width);
  }
  jpeg_finish_decompress(&cinfo);
  return true;
}

}  // namespace

Image decode_jpeg(const uint8_t* data, size_t size, const std::string& name, const DecodeOptions& options) {
  jpeg_decompress_struct cinfo{};
  ErrorManager err{};
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = error_exit;
  err.pub.emit_message = emit_message;
  // Destroys the decompressor on every way out (a zeroed, never-created one is a no-op).
  struct Destroy {
    jpeg_decompress_struct& cinfo;
    ~Destroy() { jpeg_destroy_decompress(&cinfo); }
  } destroy{cinfo};
  Image image;
  if (!run(cinfo, err, data, size, name, options, image)) throw IoError("image", cat(name, ": ", err.message));
  return image;
}

}  // namespace lucid::data
