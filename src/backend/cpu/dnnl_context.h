// The process's one oneDNN engine, a stream per calling thread, and the small helpers every
// CPU kernel shares. Private to src/backend/cpu: no dnnl type leaves this folder.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <optional>
#include <unordered_map>

#include "lucid/tensor.h"

namespace lucid::backend::cpu {

using dnnl::memory;
using Dims = memory::dims;
using Tag = memory::format_tag;
using Args = std::unordered_map<int, memory>;

dnnl::engine& engine();
// One per thread: a stream is not meant to be shared by threads submitting at the same time.
dnnl::stream& stream();

// Primitives get a user scratchpad (allocated per run) so one cached primitive can serve
// several threads at once; a library-owned scratchpad would be shared between them.
dnnl::primitive_attr user_scratchpad();

// Per-thread buffers, one per role, kept and grown between calls: a fresh multi-megabyte
// allocation per call costs more in page faults than the reorder that fills it. Kernels do not
// nest, so a role's buffer is free again when the kernel that used it returns; and with the
// OpenMP runtime a step has finished when execute returns, so a later step may regrow a slot.
enum class Slot { src, weights, dst, scratchpad, count };
memory workspace(const memory::desc& desc, Slot slot);

// A created primitive and the scratchpad it asks for.
struct Step {
  dnnl::primitive primitive;
  memory::desc scratchpad;
  void run(Args args) const;  // on stream(); the caller waits once after its last step
};

template <class Primitive, class PrimitiveDesc>
Step make_step(const PrimitiveDesc& pd) {
  return Step{Primitive(pd), pd.scratchpad_desc()};
}

// A reorder between two layouts, or nothing when they are the same.
std::optional<Step> make_reorder(const memory::desc& from, const memory::desc& to);
// from itself when reorder is empty, else slot's workspace in layout `to` holding from's values.
memory reordered(const std::optional<Step>& reorder, const memory& from, const memory::desc& to, Slot slot);

memory::desc f32_desc(const Dims& dims, Tag tag);
// The channel-blocked NCHW layout this CPU's jit kernels use: nChw16c with AVX-512, else nChw8c.
Tag blocked_nchw();
// Whether oneDNN will use `isa` here (the CPU's, as capped by ONEDNN_MAX_CPU_ISA).
bool onednn_has_isa(dnnl_cpu_isa_t isa);
// A oneDNN view of t's storage (no copy).
memory wrap(const Tensor& t, const memory::desc& desc);

// Turns a dnnl::error into a lucid error tagged with op (UnsupportedError when oneDNN lacks
// an implementation, Error otherwise).
[[noreturn]] void rethrow(const char* op, const dnnl::error& e);

template <class Body>
void guarded(const char* op, Body&& body) {
  try {
    body();
  } catch (const dnnl::error& e) {
    rethrow(op, e);
  }
}

}  // namespace lucid::backend::cpu
