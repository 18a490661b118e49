// Data types and layout names: the precision option as a oneDNN data type, and a layout as
// oneDNN's verbose log writes it ("aBcd8b" is nChw8c), for describe().
#pragma once

#include <string>

#include "backend/cpu/dnnl_context.h"

namespace lucid::engine {

// "fp32" -> f32, "bf16" -> bf16. ValueError for other names; UnsupportedError for bf16 on a CPU
// without AVX512_BF16 (oneDNN would emulate it, slower than fp32), unless the environment has
// LUCID_BF16_EMULATION=1 and the CPU AVX-512: then oneDNN's emulation runs, to check results.
dnnl::memory::data_type activation_type(const std::string& precision);

// Whether oneDNN runs bf16 on this CPU's own instructions (AVX512_BF16), not emulated.
bool cpu_has_bf16();

std::string layout_name(const dnnl::memory::desc& desc);

}  // namespace lucid::engine
