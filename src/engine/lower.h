// A graph as oneDNN primitives: BatchNorm folded into each convolution, ReLU and the residual
// add as post-ops, layouts left to oneDNN (format_tag::any) with a reorder only where a
// primitive wants another layout than its producer wrote, weights reordered once.
#pragma once

#include <cstdint>

#include "engine/graph.h"
#include "engine/program.h"
#include "lucid/ops.h"

namespace lucid::engine {

// type: the activations' and weights' data type (f32 or bf16); biases and logits stay f32.
// release_weights: free each model weight as soon as the program holds its copy.
Program lower(const Graph& graph, memory::data_type type, bool release_weights);

// Whether a grouped 3x3 convolution that lucid's 8-lane direct kernels take (conv_groups_of_4.h,
// conv_grouped_3x3.h; f32, AVX2) should run there rather than in oneDNN, on a machine whose
// activations oneDNN blocks as `blocked`. With nChw8c (AVX2 machines) always: lucid's kernels
// beat oneDNN's jit:avx2 and gemm (measured). With nChw16c (AVX-512) for 4 and 8 channels per
// group, where the 16-lane kernel (conv_small_groups_avx512.h, taken first) does not apply
// (channels not a multiple of 16): there oneDNN 2.6 runs them on nChw4c / nChw8c at 40-90
// GFLOP/s between two reorders from and to its 1x1s' nhwc, while lucid's run on nhwc as it is
// (all 4-8 per group convs on these kernels: resnext_50_32x4d 1.015x at batch 1, 1.06x at batch
// 16, on a 2-core Xeon). With 16 or more oneDNN's 16-lane kernels are the faster (lucid's direct
// 0.97x, its Winograd 0.98x in the network, same machine), so they keep them.
bool prefer_lucid_grouped(memory::format_tag blocked, int64_t group_channels);

// Whether, on a machine whose activations oneDNN keeps nhwc (AVX-512), a stride-1 grouped 3x3 on
// input (n, c, h, w) should run on lucid's Winograd kernel (conv_winograd_3x3.h) on nChw8c,
// between reorders from and to nhwc, rather than on oneDNN's brgconv: with 64 channels per
// group on maps of 14 x 14 and up, at batch 2 and up. There its AVX-512 GEMMs make it 1.1-1.3x
// oneDNN's with the two reorders (resnext_101_32x16d's 14 x 14 and 32x32d's 28 x 28 convs at
// batch 4 and 16, steps timed alone; resnext_101_32x16d 1.03x and 1.10x at batch 16, two plans
// alternating). On nhwc itself the kernel runs 1.3x slower; at batch 1, with 32 per group, or
// with 128 on 14 x 14 (32x32d's stage 3: the network 0.97x at batch 16) the reorders cost as
// much as it saves or more (with 128 the kernel now runs on nhwc itself: prefer_winograd_on_nhwc).
bool prefer_winograd_between_reorders(const Shape& input, int64_t group_channels);

// Whether, on a machine whose activations oneDNN keeps nhwc (AVX-512), a stride-1 grouped 3x3 on
// input (n, c, h, w) should run on lucid's Winograd kernel on nhwc itself, without reorders,
// rather than on oneDNN's brgconv: with 128 or more channels per group on maps of 14 x 14 and up
// (resnext_101_32x32d's stage 3). There the kernel's gathers, slower on nhwc than on blocked
// layouts, cost less than the 2.25x fewer multiply-adds save: those convs 1.30-1.42x faster at
// batch 16, 1.12-1.32x at batch 4, 1.14x at batch 1 (steps timed alone, two plans alternating;
// the whole network at batch 1 1.04x, alternating; 2-core Xeon). With 32 per group (101_32x8d's
// stage 3) it was level in the network at batch 1 (0.99x) and 16 (1.05x on the convs); with 64
// (101_32x16d) level with the kernel between reorders (prefer_winograd_between_reorders); on
// 7 x 7 maps slower (0.84x with 128 at batch 16, alone).
bool prefer_winograd_on_nhwc(const Shape& input, int64_t group_channels);

// Whether a 1x1 convolution of stride 1 on input (n, c, h, w), where its input comes nhwc
// (AVX-512 machines), should run as one oneDNN matmul over the batch's n h w pixels rather than on
// oneDNN's brgconv_1x1: on maps of 7 x 7 and smaller (stage 4) at batch 2 and up. brgconv_1x1
// goes image by image, each image's 49 rows against weights (4-32 MB) that do not stay in cache;
// the matmul blocks all the rows against each slice of weights: 1.16-1.31x faster at batch 16,
// 1.18x at batch 4, 1.05x at batch 2 (1024 and 2048 channels, alone, alternating; 2-core Xeon).
// At batch 1 (1.04x) and on 14 x 14 maps (0.99-1.02x at batch 16) they are level.
bool prefer_matmul_1x1(const Shape& input, const Shape& weight, const ops::Conv2dOptions& options);

}  // namespace lucid::engine
