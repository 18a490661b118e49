// lucid bench: latency and throughput of a compiled plan on random weights, and this machine's
// fp32 FMA peak, so a run says how close to the hardware it gets.
#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "commands.h"
#include "lucid/autograd.h"
#include "lucid/engine.h"
#include "lucid/models/registry.h"
#include "lucid/ops.h"
#include "lucid/random.h"

namespace lucid::cli {

namespace {

struct Options {
  std::string model;
  int64_t batch = 1;
  int threads = 0;
  std::string precision = "fp32";
  int64_t input_size = 224;
  int iterations = 10;
  int warmup = 2;
  bool json = false;
  bool peak = false;
  double peak_gflops = 0;
  bool eager = false;
  bool serve = false;
  bool profile = false;
  models::ModelOptions model_options;
};

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// The peak is measured with a hand-written FMA loop rather than oneDNN's sgemm: a gemm's rate
// includes its packing and memory traffic, so it is a result, not the ceiling results are judged
// against; and the loop needs no JIT and no link to oneDNN here. Independent accumulators
// (more than FMA latency x FMA ports) keep every FMA unit busy; the widest ISA the CPU has is
// picked at run time, since the binary is built for baseline x86-64.
constexpr int kChains = 12;

__attribute__((target("avx512f"))) float fma_loop_avx512(int64_t iterations) {
  __m512 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm512_set1_ps(float(i));
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-6f);
  for (int64_t n = 0; n < iterations; ++n)
    for (int i = 0; i < kChains; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  __m512 sum = acc[0];
  for (int i = 1; i < kChains; ++i) sum = _mm512_add_ps(sum, acc[i]);
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, sum);
  float total = 0;
  for (float v : lanes) total += v;
  return total;
}

__attribute__((target("avx2,fma"))) float fma_loop_avx2(int64_t iterations) {
  __m256 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm256_set1_ps(float(i));
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-6f);
  for (int64_t n = 0; n < iterations; ++n)
    for (int i = 0; i < kChains; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  __m256 sum = acc[0];
  for (int i = 1; i < kChains; ++i) sum = _mm256_add_ps(sum, acc[i]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, sum);
  float total = 0;
  for (float v : lanes) total += v;
  return total;
}

struct Peak {
  double gflops;
  const char* isa;
};

// Best of 10 runs of the loop on `threads` threads at once, each ~0.3 s. On a shared machine a
// neighbour's load only lowers a run (best of 3 once read 117 GFLOP/s where the machine gives 180),
// and the peak is what the machine can do.
Peak measure_peak(int threads) {
  const bool avx512 = __builtin_cpu_supports("avx512f");
  if (!avx512 && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")))
    throw UsageError("--peak needs a CPU with AVX2 and FMA");
  const int lanes = avx512 ? 16 : 8;
  auto loop = avx512 ? fma_loop_avx512 : fma_loop_avx2;
  // Calibrate the iterations to ~0.3 s on one thread.
  int64_t iterations = 1 << 20;
  for (;;) {
    const auto start = Clock::now();
    volatile float sink = loop(iterations);
    (void)sink;
    if (ms_since(start) > 100) break;
    iterations *= 2;
  }
  iterations *= 3;
  double best = 0;
  for (int run = 0; run < 10; ++run) {
    std::atomic<float> sink{0};
    std::vector<std::thread> pool;
    const auto start = Clock::now();
    for (int t = 0; t < threads; ++t) pool.emplace_back([&] { sink = sink + loop(iterations); });
    for (auto& t : pool) t.join();
    const double seconds = ms_since(start) / 1e3;
    best = std::max(best, 2.0 * lanes * kChains * double(iterations) * threads / seconds / 1e9);
  }
  return {best, avx512 ? "avx512" : "avx2"};
}

struct Timing {
  double median, p90, min;
};

// Each run's wall time in ms.
template <class Body>
std::vector<double> run_times(int runs, Body&& body) {
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const auto start = Clock::now();
    body();
    ms.push_back(ms_since(start));
  }
  return ms;
}

template <class Body>
Timing time_runs(int warmup, int iterations, Body&& body) {
  for (int i = 0; i < warmup; ++i) body();
  std::vector<double> ms = run_times(iterations, body);
  std::sort(ms.begin(), ms.end());
  // Nearest rank: the smallest time at least 50% (90%) of the runs do not exceed.
  auto rank = [&](double q) { return ms[std::min(ms.size() - 1, size_t(std::ceil(q * double(ms.size()))) - 1)]; };
  return {rank(0.5), rank(0.9), ms.front()};
}

// --serve: the plan stays warm while bench/compare interleaves it with other peers' runs, so that a
// machine whose speed drifts slows every peer alike. After the warm-up it prints {"ready": true} on
// one line, then answers each line N on stdin (a positive count) with the N runs' times as one JSON
// line, until end of input.
void serve(engine::Plan& plan, const Tensor& x, int warmup, double compile_ms) {
  const std::vector<double> warm = run_times(warmup, [&] { plan.run(x); });
  const double warm_ms = warm.empty() ? 0.0 : warm.back();
  const engine::PlanStats& s = plan.stats();
  nlohmann::json ready = {{"ready", true},       {"compile_ms", compile_ms},          {"warm_ms", warm_ms},
                          {"macs", s.macs},      {"reorder_count", s.reorder_count()}, {"arena_bytes", s.arena_bytes},
                          {"weight_bytes", s.weight_bytes}};
  std::printf("%s\n", ready.dump().c_str());
  std::fflush(stdout);
  for (std::string line; std::getline(std::cin, line);) {
    int count = 0;
    try {
      size_t used = 0;
      count = std::stoi(line, &used);
      if (used != line.size()) count = 0;
    } catch (const std::exception&) {
    }
    if (count < 1) throw UsageError("bench --serve: expected a positive count of runs per line, got '" + line + "'");
    const nlohmann::json runs = run_times(count, [&] { plan.run(x); });
    std::printf("%s\n", nlohmann::json{{"runs_ms", runs}}.dump().c_str());
    std::fflush(stdout);
  }
}

double gflops_of(int64_t macs, double ms) { return ms > 0 ? 2.0 * double(macs) / ms / 1e6 : 0.0; }

// --profile: each step's median time, then the totals per implementation (oneDNN's or lucid's).
nlohmann::json profile_json(const std::vector<engine::StepProfile>& steps) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : steps)
    out.push_back({{"name", s.name}, {"kind", s.kind}, {"impl", s.impl}, {"macs", s.macs}, {"ms", s.ms}});
  return out;
}

void print_profile(const std::vector<engine::StepProfile>& steps, int runs) {
  struct Total {
    int steps = 0;
    int64_t macs = 0;
    double ms = 0;
  };
  std::map<std::string, Total> by_impl;
  double all_ms = 0;
  std::printf("profile: each step timed on its own, median of %d runs\n", runs);
  for (const auto& s : steps) {
    std::printf("  %-32s %-16s %-28s %8.3f ms", s.name.c_str(), s.kind.c_str(), s.impl.c_str(), s.ms);
    if (s.macs > 0) std::printf(" %7.1f GFLOP/s", gflops_of(s.macs, s.ms));
    std::printf("\n");
    Total& t = by_impl[s.impl];
    ++t.steps, t.macs += s.macs, t.ms += s.ms, all_ms += s.ms;
  }
  std::printf("by implementation (steps summed: %.2f ms):\n", all_ms);
  for (const auto& [impl, t] : by_impl) {
    std::printf("  %-28s %4d steps %9.2f ms %5.1f%%", impl.c_str(), t.steps, t.ms, 100.0 * t.ms / all_ms);
    if (t.macs > 0) std::printf(" %7.1f GFLOP/s", gflops_of(t.macs, t.ms));
    std::printf("\n");
  }
}

void run(const Options& o) {
  autograd::NoGradGuard no_grad;  // inference: record no graph
  const int threads = o.threads > 0 ? o.threads : int(std::max(1u, std::thread::hardware_concurrency()));
  nlohmann::json out;
  double peak = o.peak_gflops;
  if (o.peak) {
    const Peak measured = measure_peak(threads);
    peak = measured.gflops;
    out["peak_isa"] = measured.isa;
  }
  if (peak > 0) out["peak_gflops"] = peak;
  std::vector<engine::StepProfile> profile;  // --profile's, printed at the end
  out["threads"] = threads;

  if (!o.model.empty()) {
    auto model = models::create_model(o.model, o.model_options);
    model->eval();
    const Shape input{o.batch, o.model_options.in_channels, o.input_size, o.input_size};
    Tensor x = Tensor::empty(input);
    Generator(1).normal_(x, 0.0f, 1.0f);

    if (o.eager) {  // before compiling: the compiled plan takes the model's weights over
      ops::set_num_threads(threads);
      const Timing eager = time_runs(o.warmup, o.iterations, [&] { model->forward(x); });
      ops::set_num_threads(0);
      out["eager_latency_ms_median"] = eager.median;
      out["eager_latency_ms_p90"] = eager.p90;
    }
    const auto compile_start = Clock::now();
    engine::Plan plan = engine::compile_consuming(*model, input, {.threads = threads, .precision = o.precision});
    const double compile_ms = ms_since(compile_start);
    model.reset();

    if (o.serve) return serve(plan, x, o.warmup, compile_ms);
    const Timing t = time_runs(o.warmup, o.iterations, [&] { plan.run(x); });
    const engine::PlanStats& s = plan.stats();
    const double gflops = gflops_of(s.macs, t.median);
    out["model"] = o.model;
    out["batch"] = o.batch;
    out["input"] = to_string(input);
    out["precision"] = o.precision;
    if (s.bf16_emulated) out["bf16_emulated"] = true;
    out["iterations"] = o.iterations;
    out["compile_ms"] = compile_ms;
    out["latency_ms_median"] = t.median;
    out["latency_ms_p90"] = t.p90;
    out["latency_ms_min"] = t.min;
    out["images_per_s"] = double(o.batch) / (t.median / 1e3);
    out["macs"] = s.macs;
    out["gflops"] = gflops;
    if (peak > 0) out["percent_of_peak"] = 100.0 * gflops / peak;
    if (o.eager) out["speedup_vs_eager"] = out["eager_latency_ms_median"].get<double>() / t.median;
    out["primitives"] = s.primitives;
    out["reorders"] = s.reorders;
    out["reorder_count"] = s.reorder_count();
    out["arena_bytes"] = s.arena_bytes;
    out["weight_bytes"] = s.weight_bytes;
    if (o.profile) {
      profile = plan.profile(x, o.iterations);
      out["profile"] = profile_json(profile);
    }
  }

  if (o.json) {
    std::printf("%s\n", out.dump(2).c_str());
    return;
  }
  if (out.contains("peak_isa"))
    std::printf("peak: %.1f GFLOP/s fp32 (%s FMA loop, %d threads)\n", peak, out["peak_isa"].get<std::string>().c_str(),
                threads);
  if (o.model.empty()) return;
  std::printf("%s %s %s, %d threads: median %.2f ms, p90 %.2f ms, %.2f images/s, %.1f GFLOP/s",
              o.model.c_str(), out["input"].get<std::string>().c_str(), o.precision.c_str(), threads,
              out["latency_ms_median"].get<double>(), out["latency_ms_p90"].get<double>(),
              out["images_per_s"].get<double>(), out["gflops"].get<double>());
  if (out.contains("percent_of_peak")) std::printf(" (%.1f%% of peak)", out["percent_of_peak"].get<double>());
  std::printf("\n");
  if (out.contains("bf16_emulated"))
    std::printf("bf16 emulated by oneDNN (LUCID_BF16_EMULATION=1): not this CPU's bf16 speed\n");
  if (o.eager)
    std::printf("eager: median %.2f ms (the plan is %.2fx faster)\n", out["eager_latency_ms_median"].get<double>(),
                out["speedup_vs_eager"].get<double>());
  std::printf("plan: %d primitives, %d reorders, arena %.1f MB, weights %.1f MB, compiled in %.0f ms\n",
              out["primitives"].get<int>(), out["reorder_count"].get<int>(), out["arena_bytes"].get<double>() / 1e6,
              out["weight_bytes"].get<double>() / 1e6, out["compile_ms"].get<double>());
  if (o.profile) print_profile(profile, o.iterations);
}

}  // namespace

void add_bench(CLI::App& app) {
  auto* cmd = app.add_subcommand("bench", "Latency and throughput of the compiled engine (random weights)");
  auto o = std::make_shared<Options>();
  cmd->add_option("--model", o->model, "Model name (see `lucid list`)");
  cmd->add_option("--batch", o->batch, "Images per run")->check(positive())->capture_default_str();
  cmd->add_option("--threads", o->threads, "OpenMP threads (0: all cores)")->check(thread_count());
  cmd->add_option("--precision", o->precision, "fp32 or bf16")->check(CLI::IsMember({"fp32", "bf16"}))
      ->capture_default_str();
  cmd->add_option("--input-size", o->input_size, "Input height and width")->check(positive())
      ->capture_default_str();
  cmd->add_option("--iterations", o->iterations, "Timed runs")->check(positive())->capture_default_str();
  cmd->add_option("--warmup", o->warmup, "Untimed runs first")->check(non_negative())->capture_default_str();
  cmd->add_flag("--json", o->json, "Print one JSON object");
  cmd->add_flag("--peak", o->peak, "Measure this machine's fp32 FMA peak (GFLOP/s) first");
  cmd->add_option("--peak-gflops", o->peak_gflops, "A peak measured before, for percent_of_peak")
      ->check(positive());
  cmd->add_flag("--eager", o->eager, "Also time the eager path, for the ratio");
  cmd->add_flag("--serve", o->serve,
                "After the warm-up print {\"ready\": true}, then time N runs for each line N on stdin "
                "(one JSON line each) until end of input: bench/compare's interleaved rounds");
  cmd->add_flag("--profile", o->profile,
                "Then time each step of the plan on its own (--iterations runs): per step and per implementation");
  add_model_options(*cmd, o->model_options);
  cmd->callback([o] {
    if (o->model.empty() && !o->peak) throw UsageError("bench needs --model, --peak or both");
    if (o->serve && (o->model.empty() || o->eager || o->profile))
      throw UsageError("bench --serve needs --model and no --eager or --profile");
    if (o->profile && o->model.empty()) throw UsageError("bench --profile needs --model");
    run(*o);
  });
}

}  // namespace lucid::cli
