// A graph as oneDNN primitives: BatchNorm folded into each convolution, ReLU and the residual
// add as post-ops, layouts left to oneDNN (format_tag::any) with a reorder only where a
// primitive wants another layout than its producer wrote, weights reordered once.
#pragma once

#include <string>

#include "engine/graph.h"
#include "engine/program.h"

namespace lucid::engine {

// type: the activations' and weights' data type (f32 or bf16); biases and logits stay f32.
// release_weights: free each model weight as soon as the program holds its copy.
Program lower(const Graph& graph, memory::data_type type, bool release_weights);

// Whether a grouped 3x3 convolution that lucid's AVX2 kernels take (conv_groups_of_4.h,
// conv_grouped_3x3.h; f32 on nChw8c) should run there rather than in oneDNN, which would run it
// with the implementation `onednn_impl` on a machine whose activations are blocked as `blocked`.
// Where that blocking is nChw8c (AVX2), lucid's kernels beat oneDNN's (measured). On AVX-512
// machines (nChw16c) only where oneDNN has no AVX-512 kernel for the convolution: with 4 or 8
// channels per group oneDNN 2.6 falls back to gemm or to its AVX2 kernel, and lucid's run between
// reorders to and from nChw8c, as oneDNN's would; with 16 or more its 16-lane kernels are wider
// than lucid's 8-lane ones. (Reasoned, not measured: no AVX-512 machine was at hand.)
bool prefer_lucid_grouped(memory::format_tag blocked, const std::string& onednn_impl);

}  // namespace lucid::engine
