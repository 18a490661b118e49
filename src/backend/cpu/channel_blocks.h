// Activations blocked by channel, (n, channels / lanes, h, w, lanes): lanes = 8 is oneDNN's
// nChw8c (its AVX2 blocking), 16 its nChw16c (AVX-512), and lanes = channels is nhwc (what its
// AVX-512 brgconv kernels take). lucid's grouped 3x3 kernels read and write 8 channels at a
// time, which lie side by side in all three, so they run on whichever layout their neighbours
// use, without reorders.
#pragma once

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

}  // namespace lucid::backend::cpu
