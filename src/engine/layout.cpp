#include "engine/layout.h"

#include <algorithm>
#include <cstdlib>
#include <numeric>
#include <vector>

#include "lucid/error.h"

namespace lucid::engine {

using dnnl::memory;

bool cpu_has_bf16() { return backend::cpu::onednn_has_isa(dnnl_cpu_isa_avx512_core_bf16); }

memory::data_type activation_type(const std::string& precision) {
  if (precision == "fp32") return memory::data_type::f32;
  if (precision != "bf16")
    throw ValueError("engine", cat("unknown precision '", precision, "' (expected fp32 or bf16)"));
  if (cpu_has_bf16()) return memory::data_type::bf16;
  // oneDNN emulates bf16 on the other AVX-512 CPUs, at a fraction of fp32's speed: asked for by
  // name only, to check the bf16 path's results where no AVX512_BF16 machine is at hand.
  const char* emulate = std::getenv("LUCID_BF16_EMULATION");
  if (backend::cpu::onednn_has_isa(dnnl_cpu_isa_avx512_core) && emulate && std::string(emulate) == "1")
    return memory::data_type::bf16;
  throw UnsupportedError("engine", "precision bf16 needs a CPU with AVX512_BF16, which this one lacks (use fp32)");
}

std::string layout_name(const memory::desc& desc) {
  const dnnl_memory_desc_t& d = desc.data;
  const char* type = desc.data_type() == memory::data_type::bf16 ? ":bf16" : "";
  if (d.format_kind != dnnl_blocked) return std::string("?") + type;
  const dnnl_blocking_desc_t& b = d.format_desc.blocking;
  std::vector<int> order(d.ndims);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int x, int y) { return b.strides[x] > b.strides[y]; });
  std::string name;
  for (int i : order) {
    const bool blocked = std::find(b.inner_idxs, b.inner_idxs + b.inner_nblks, i) != b.inner_idxs + b.inner_nblks;
    name += char((blocked ? 'A' : 'a') + i);
  }
  for (int k = 0; k < b.inner_nblks; ++k) name += std::to_string(b.inner_blks[k]) + char('a' + b.inner_idxs[k]);
  return name + type;
}

}  // namespace lucid::engine
