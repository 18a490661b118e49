#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <sstream>

#include "engine/arena.h"
#include "engine/graph.h"
#include "engine/layout.h"
#include "engine/lower.h"
#include "lucid/engine.h"
#include "lucid/error.h"
#include "lucid/ops.h"

namespace lucid::engine {

using backend::cpu::engine;
using backend::cpu::guarded;
using backend::cpu::stream;

using Bytes = std::unique_ptr<void, decltype(&std::free)>;

static Bytes allocate(size_t bytes) {
  constexpr size_t kAlign = 64;
  if (bytes == 0) return Bytes(nullptr, &std::free);
  Bytes data(std::aligned_alloc(kAlign, (bytes + kAlign - 1) / kAlign * kAlign), &std::free);
  if (!data) throw ValueError("engine", cat("out of memory allocating ", bytes, " bytes"));
  return data;
}

// Sets OpenMP's thread count for a scope (0 leaves it). Primitives must be created under the
// count they run with: oneDNN splits the work when a primitive is created, and runs that many
// threads (num_threads) whatever the count is later.
class ThreadScope {
 public:
  explicit ThreadScope(int threads) : before_(omp_get_max_threads()) {
    if (threads > 0) omp_set_num_threads(threads);
  }
  ~ThreadScope() { omp_set_num_threads(before_); }
  ThreadScope(const ThreadScope&) = delete;
  ThreadScope& operator=(const ThreadScope&) = delete;

 private:
  int before_;
};

struct Plan::Impl {
  Shape input_shape, output_shape;
  std::string precision;
  int threads;  // OpenMP threads the primitives were created for, and run with
  Program program;
  PlanStats stats;
  Bytes arena{nullptr, &std::free}, scratchpad{nullptr, &std::free};
  memory input, output;  // bound to the caller's tensors per run
  std::vector<backend::cpu::Args> args;
  // Set while a run is in progress: a second caller would overwrite the arena under the first
  // (it crashed the process, or could have returned wrong logits), so it is refused instead.
  std::atomic<bool> running{false};

  Tensor execute(const Tensor& x, std::vector<double>* step_ms);

  // Places the buffers in the arena and binds every step's arguments once.
  void bind() {
    std::vector<Lifetime> lifetimes;
    for (const Buffer& b : program.buffers) lifetimes.push_back({b.bytes, b.first, b.last});
    const ArenaLayout layout = place_buffers(lifetimes);
    arena = allocate(layout.bytes);
    size_t scratch_bytes = 0;
    for (const Exec& e : program.steps) scratch_bytes = std::max(scratch_bytes, e.scratchpad.get_size());
    scratchpad = allocate(scratch_bytes);

    std::vector<memory> values;
    for (const Value& v : program.values) {
      char* at = v.buffer >= 0 ? static_cast<char*>(arena.get()) + layout.offsets[v.buffer] : nullptr;
      values.emplace_back(v.desc, engine(), at);
    }
    input = values[program.input];
    output = values[program.output];
    for (const Exec& e : program.steps) {
      backend::cpu::Args a;
      for (const auto& [arg, v] : e.values) a.emplace(arg, values[v]);
      for (const auto& [arg, m] : e.constants) a.emplace(arg, m);
      if (e.scratchpad.get_size() > 0) a.emplace(DNNL_ARG_SCRATCHPAD, memory(e.scratchpad, engine(), scratchpad.get()));
      args.push_back(std::move(a));
    }

    stats.primitives = static_cast<int>(program.steps.size());
    for (const Exec& e : program.steps) {
      if (e.kind.starts_with("conv")) ++stats.convolutions;
      if (e.kind.starts_with("reorder:")) ++stats.reorders[e.kind.substr(8)];
    }
    stats.arena_bytes = layout.bytes;
    for (const Buffer& b : program.buffers) stats.activation_bytes += b.bytes;
    stats.peak_live_bytes = layout.peak_live;
    stats.scratchpad_bytes = scratch_bytes;
    stats.weight_bytes = program.weight_bytes;
    stats.macs = program.macs;
  }
};

int PlanStats::reorder_count() const {
  int n = 0;
  for (const auto& [_, count] : reorders) n += count;
  return n;
}

Plan::Plan(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Plan::Plan(Plan&&) noexcept = default;
Plan& Plan::operator=(Plan&&) noexcept = default;
Plan::~Plan() = default;

const Shape& Plan::input_shape() const { return impl_->input_shape; }
const Shape& Plan::output_shape() const { return impl_->output_shape; }
const std::string& Plan::precision() const { return impl_->precision; }
const PlanStats& Plan::stats() const { return impl_->stats; }

// Runs every step on x; with step_ms, adds each step's milliseconds to it.
Tensor Plan::Impl::execute(const Tensor& x, std::vector<double>* step_ms) {
  if (!x.defined() || x.shape() != input_shape)
    throw ShapeError("engine", cat("the plan was compiled for input ", to_string(input_shape), ", got ",
                                   x.defined() ? to_string(x.shape()) : "an undefined tensor"));
  if (x.dtype() != DType::F32) throw ValueError("engine", cat("expects an F32 input, got ", dtype_name(x.dtype())));
  if (running.exchange(true))
    throw ValueError("engine", "the plan is already running on another thread; one plan runs one call at a time "
                               "(compile a plan per concurrent caller)");
  struct Done {
    std::atomic<bool>& flag;
    ~Done() { flag = false; }
  } done{running};
  Tensor y = Tensor::empty(output_shape);
  ThreadScope scope(threads);
  guarded("engine", [&] {
    input.set_data_handle(x.raw_data());
    output.set_data_handle(y.raw_data());
    const auto& steps = program.steps;
    // oneDNN's CPU stream runs a primitive to completion before execute returns (OpenMP
    // runtime), so a lucid kernel may read what the step before it wrote, and a step's time
    // is the time its call takes.
    for (size_t i = 0; i < steps.size(); ++i) {
      const auto start = step_ms ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
      if (steps[i].kernel)
        steps[i].kernel(args[i]);
      else
        steps[i].primitive.execute(stream(), args[i]);
      if (step_ms)
        (*step_ms)[i] += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    }
    stream().wait();
  });
  return y;
}

Tensor Plan::run(const Tensor& x) { return impl_->execute(x, nullptr); }

std::vector<StepProfile> Plan::profile(const Tensor& x, int runs) {
  if (runs < 1) throw ValueError("engine", cat("profile needs at least one run, got ", runs));
  const auto& steps = impl_->program.steps;
  std::vector<std::vector<double>> times(steps.size());
  for (int r = 0; r < runs; ++r) {
    std::vector<double> ms(steps.size(), 0.0);
    impl_->execute(x, &ms);
    for (size_t i = 0; i < steps.size(); ++i) times[i].push_back(ms[i]);
  }
  std::vector<StepProfile> out;
  for (size_t i = 0; i < steps.size(); ++i) {
    std::sort(times[i].begin(), times[i].end());
    out.push_back({steps[i].name, steps[i].kind, steps[i].impl, steps[i].macs, times[i][times[i].size() / 2]});
  }
  return out;
}

std::string Plan::describe() const {
  std::ostringstream out;
  const Program& p = impl_->program;
  for (const Exec& e : p.steps) {
    out << e.name << "  " << e.kind << "  " << e.impl;
    std::string src, dst;
    for (const auto& [arg, v] : e.values) {
      if (arg == DNNL_ARG_SRC || arg == DNNL_ARG_FROM) src = layout_name(p.values[v].desc);
      if (arg == DNNL_ARG_DST || arg == DNNL_ARG_TO) dst = layout_name(p.values[v].desc);
    }
    out << "  " << src << " -> " << dst << "\n";
  }
  return out.str();
}

Plan compile(const models::ResNet& model, const Shape& input_shape, const CompileOptions& options,
             bool release_weights) {
  for (const auto& [name, module] : model.named_modules())
    if (module->is_training())
      throw ValueError("engine", cat("compile needs an eval-mode model (call eval() first); ",
                                     name.empty() ? std::string("the model") : name, " is in training mode"));
  if (options.threads < 0 || options.threads > ops::kMaxThreads)
    throw ValueError("engine", cat("threads (", options.threads, ") must be 0 (the process's count) to ", ops::kMaxThreads));
  const memory::data_type type = activation_type(options.precision);
  const Graph graph = build_graph(model, input_shape);

  auto impl = std::make_unique<Plan::Impl>();
  impl->input_shape = input_shape;
  impl->output_shape = graph.values[graph.output];
  impl->precision = options.precision;
  impl->threads = options.threads > 0 ? options.threads : omp_get_max_threads();
  ThreadScope threads(impl->threads);
  guarded("engine", [&] {
    impl->program = lower(graph, type, release_weights);
    impl->bind();
  });
  impl->stats.bf16_emulated = type == memory::data_type::bf16 && !cpu_has_bf16();
  return Plan(std::move(impl));
}

Plan compile(const models::ResNet& model, const Shape& input_shape, const CompileOptions& options) {
  return compile(model, input_shape, options, false);
}

Plan compile_consuming(models::ResNet& model, const Shape& input_shape, const CompileOptions& options) {
  return compile(model, input_shape, options, true);
}

}  // namespace lucid::engine
