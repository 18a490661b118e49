// Activations blocked by channel, (n, channels / lanes, h, w, lanes): lanes = 8 is oneDNN's
// nChw8c (its AVX2 blocking), 16 its nChw16c (AVX-512), and lanes = channels is nhwc (what its
// AVX-512 brgconv kernels take). lucid's grouped 3x3 kernels read and write 8 channels at a
// time, which lie side by side in all three, so they run on whichever layout their neighbours
// use, without reorders.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace lucid::backend::cpu {

struct ChannelBlocks {
  int64_t channels = 0, pixels = 0, lanes = 8;  // pixels: h x w of one image

  // Floats from the tensor's start to channel c of pixel p of an image; c a multiple of 8.
  int64_t at(int64_t image, int64_t c, int64_t pixel) const {
    return image * channels * pixels + (c / lanes) * pixels * lanes + c % lanes + pixel * lanes;
  }
};

// Copies 8 channels of `pixels` consecutive pixels from `from` (the first pixel's, in a layout of
// `lanes` channels per block) to `to`, 8 floats per pixel: a row of a group's input, into the
// zero-padded copy the grouped kernels read.
inline void copy_8_channels(const float* from, int64_t lanes, int64_t pixels, float* to) {
  if (lanes == 8) {  // nChw8c: the row is contiguous
    std::memcpy(to, from, size_t(pixels * 8) * sizeof(float));
  } else {
    for (int64_t p = 0; p < pixels; ++p) std::memcpy(to + p * 8, from + p * lanes, 8 * sizeof(float));
  }
}

// Copies channels [c, c + 8 blocks) of row y (w pixels) of an image into `blocks` planes of 8
// floats per pixel, block b's row at to + b * to_block_step. In nhwc and nChw16c a pixel's blocks
// share cache lines, and with many channels consecutive pixels lie kilobytes apart: there the copy
// goes pixel by pixel, 16 blocks of a pixel together (block by block, each line was read once per
// block, and with 1024+ channels gone from L1 by the next).
inline void copy_group_row(const float* src, const ChannelBlocks& layout, int64_t image, int64_t c, int64_t blocks,
                           int64_t y, int64_t w, float* to, int64_t to_block_step) {
  if (layout.lanes == 8) {  // each block's row is contiguous
    for (int64_t b = 0; b < blocks; ++b)
      copy_8_channels(src + layout.at(image, c + b * 8, y * w), 8, w, to + b * to_block_step);
    return;
  }
  constexpr int64_t kTogether = 16;
  for (int64_t b0 = 0; b0 < blocks; b0 += kTogether) {
    const int64_t count = std::min(kTogether, blocks - b0);
    const float* from[kTogether];
    for (int64_t k = 0; k < count; ++k) from[k] = src + layout.at(image, c + (b0 + k) * 8, y * w);
    for (int64_t p = 0; p < w; ++p)
      for (int64_t k = 0; k < count; ++k)
        std::memcpy(to + (b0 + k) * to_block_step + p * 8, from[k] + p * layout.lanes, 8 * sizeof(float));
  }
}

}  // namespace lucid::backend::cpu
