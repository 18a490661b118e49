#include "backend/cpu/dnnl_context.h"

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

void Step::run(Args args) const {
  if (scratchpad.get_size() > 0) args.emplace(DNNL_ARG_SCRATCHPAD, memory(scratchpad, engine()));
  primitive.execute(stream(), args);
}

std::optional<Step> make_reorder(const memory::desc& from, const memory::desc& to) {
  if (from == to) return std::nullopt;
  dnnl::reorder::primitive_desc pd(engine(), from, engine(), to, user_scratchpad());
  return make_step<dnnl::reorder>(pd);
}

memory reordered(const std::optional<Step>& reorder, const memory& from, const memory::desc& to) {
  if (!reorder) return from;
  memory result(to, engine());
  reorder->run({{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, result}});
  return result;
}

memory::desc f32_desc(const Dims& dims, Tag tag) { return memory::desc(dims, memory::data_type::f32, tag); }

memory wrap(const Tensor& t, const memory::desc& desc) { return memory(desc, engine(), t.raw_data()); }

void rethrow(const char* op, const dnnl::error& e) {
  if (e.status == dnnl_unimplemented)
    throw UnsupportedError(op, cat("oneDNN has no implementation for this case: ", e.what()));
  throw Error(op, cat("oneDNN failed (status ", static_cast<int>(e.status), "): ", e.what()));
}

}  // namespace lucid::backend::cpu
