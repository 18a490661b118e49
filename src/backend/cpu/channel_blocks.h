// Activations blocked by channel, (n, channels / lanes, h, w, lanes): lanes = 8 is oneDNN's
// nChw8c (its AVX2 blocking), 16 its nChw16c (AVX-512), and lanes = channels is nhwc (what its
// AVX-512 brgconv kernels take). lucid's grouped 3x3 kernels read and write 8 channels at a
// time, which lie side by side in all three, so they run on whichever layout their neighbours
// use, without reorders.
#pragma once

#include <cstdint>

namespace lucid::backend::cpu {

struct ChannelBlocks {
  int64_t channels = 0, pixels = 0, lanes = 8;  // pixels: h x w of one image

  // Floats from the tensor's start to channel c of pixel p of an image; c a multiple of 8.
  int64_t at(int64_t image, int64_t c, int64_t pixel) const {
    return image * channels * pixels + (c / lanes) * pixels * lanes + c % lanes + pixel * lanes;
  }
};

}  // namespace lucid::backend::cpu
