// A graph as oneDNN primitives: BatchNorm folded into each convolution, ReLU and the residual
// add as post-ops, layouts left to oneDNN (format_tag::any) with a reorder only where a
// primitive wants another layout than its producer wrote, weights reordered once.
#pragma once

#include "engine/graph.h"
#include "engine/program.h"

namespace lucid::engine {

// type: the activations' and weights' data type (f32 or bf16); biases and logits stay f32.
// release_weights: free each model weight as soon as the program holds its copy.
Program lower(const Graph& graph, memory::data_type type, bool release_weights);

}  // namespace lucid::engine
