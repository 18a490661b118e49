#include "backend/cpu/dnnl_context.h"

#include <array>
#include <cstdlib>
#include <memory>

#include "lucid/error.h"

namespace lucid::backend::cpu {

dnnl::engine& engine() {
  static dnnl::engine instance(dnnl::engine::kind::cpu, 0);
  return instance;
}

dnnl::stream& stream() {
  thread_local dnnl::stream instance(engine());
  return instance;
}

dnnl::primitive_attr user_scratchpad() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

memory workspace(const memory::desc& desc, Slot slot) {
  struct Buffer {
    std::unique_ptr<void, decltype(&std::free)> data{nullptr, &std::free};
    size_t bytes = 0;
  };
  thread_local std::array<Buffer, size_t(Slot::count)> buffers;
  Buffer& buffer = buffers[size_t(slot)];
  const size_t bytes = desc.get_size();
  if (bytes > buffer.bytes) {
    constexpr size_t kAlign = 64;
    const size_t rounded = (bytes + kAlign - 1) / kAlign * kAlign;
    buffer.data.reset();  // free first, so peak memory is not old + new
    buffer.data.reset(std::aligned_alloc(kAlign, rounded));
    if (!buffer.data) throw ValueError("cpu", cat("out of memory allocating a ", bytes, "-byte workspace"));
    buffer.bytes = rounded;
  }
  return memory(desc, engine(), buffer.data.get());
}

void Step::run(Args args) const {
  if (scratchpad.get_size() > 0) args.emplace(DNNL_ARG_SCRATCHPAD, workspace(scratchpad, Slot::scratchpad));
  primitive.execute(stream(), args);
}

std::optional<Step> make_reorder(const memory::desc& from, const memory::desc& to) {
  if (from == to) return std::nullopt;
  dnnl::reorder::primitive_desc pd(engine(), from, engine(), to, user_scratchpad());
  return make_step<dnnl::reorder>(pd);
}

memory reordered(const std::optional<Step>& reorder, const memory& from, const memory::desc& to, Slot slot) {
  if (!reorder) return from;
  memory result = workspace(to, slot);
  reorder->run({{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, result}});
  return result;
}

memory::desc f32_desc(const Dims& dims, Tag tag) { return memory::desc(dims, memory::data_type::f32, tag); }

bool onednn_has_isa(dnnl_cpu_isa_t isa) {
  return (dnnl_get_effective_cpu_isa() & isa) == isa;
}

Tag blocked_nchw() { return onednn_has_isa(dnnl_cpu_isa_avx512_core) ? Tag::nChw16c : Tag::nChw8c; }

memory wrap(const Tensor& t, const memory::desc& desc) { return memory(desc, engine(), t.raw_data()); }

void rethrow(const char* op, const dnnl::error& e) {
  if (e.status == dnnl_unimplemented)
    throw UnsupportedError(op, cat("oneDNN has no implementation for this case: ", e.what()));
  throw Error(op, cat("oneDNN failed (status ", static_cast<int>(e.status), "): ", e.what()));
}

}  // namespace lucid::backend::cpu
