// A training process killed with SIGKILL while it writes a checkpoint leaves the previous one
// whole: a child writes large checkpoints to one path in a loop and is killed at random moments;
// after each kill the file must load, and be one complete version.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <thread>

#include "lucid/nn/layers.h"
#include "lucid/train/checkpoint.h"
#include "train/torch_reference.h"

namespace lucid::train {
namespace {

namespace fs = std::filesystem;

// 4M weights (16 MB) + momentum + EMA: about 48 MB per checkpoint; the BN adds an I64 counter.
class Big : public nn::Module {
 public:
  Big() {
    nn::SkipInit skip;  // every value is set by hand below
    fc = add("fc", std::make_shared<nn::Linear>(2048, 2048));
    bn = add("bn", std::make_shared<nn::BatchNorm2d>(16));
  }
  Tensor forward(const Tensor& x) override { return x; }
  std::string type_name() const override { return "Big"; }
  std::shared_ptr<nn::Linear> fc;
  std::shared_ptr<nn::BatchNorm2d> bn;
};

// Sets every value of the tensors to v, with plain loops: the child is a fork of a threaded
// process, where OpenMP must not run.
void fill(const nn::NamedTensors& tensors, int64_t v) {
  for (auto [key, t] : tensors) {  // a copy of the handle: the same values
    if (t.dtype() == DType::I64)
      std::fill_n(t.data<int64_t>(), t.numel(), v);
    else
      std::fill_n(t.data<float>(), t.numel(), float(v));
  }
}

// Whether every tensor holds v.
bool holds(const nn::NamedTensors& tensors, int64_t v) {
  for (const auto& [key, t] : tensors) {
    for (int64_t i = 0; i < t.numel(); ++i)
      if (t.dtype() == DType::I64 ? t.data<int64_t>()[i] != v : t.data<float>()[i] != float(v)) return false;
  }
  return true;
}

std::vector<std::string> temporaries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& item : fs::directory_iterator(dir))
    if (item.path().filename().string().find(".tmp.") != std::string::npos) names.push_back(item.path().filename());
  return names;
}

struct TrainingRun {
  Big model;
  Sgd sgd{model.named_parameters(), {.lr = 0.1, .momentum = 0.9}};
  std::unique_ptr<ModelEma> ema;
  TrainingRun() {
    for (auto& [key, p] : model.named_parameters()) p.set_grad(Tensor::zeros(p.shape()));
    sgd.step();  // momentum buffers exist
    ema = std::make_unique<ModelEma>(model, 0.999);
  }
  // Everything the checkpoint holds set to v; saved with global_step v.
  void save(const std::string& path, int64_t v) {
    fill(model.state_dict(), v);
    fill(sgd.state_tensors(), v);
    fill(ema->state_dict(), v);
    TrainingState state;
    state.model = "big";
    state.global_step = v;
    save_checkpoint(path, state, model, sgd, ema.get());
  }
};

TEST(CheckpointKill, SigkillDuringWriteLeavesPreviousCheckpoint) {
  fs::path dir = torch_test::test_dir();
  std::string path = (dir / "run.safetensors").string();
  TrainingRun writer;
  auto begin = std::chrono::steady_clock::now();
  writer.save(path, 0);
  double write_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - begin).count();

  TrainingRun reader;
  std::mt19937 rng(12345);
  int64_t last = 0, mid_write = 0;
  constexpr int kRounds = 10;
  for (int round = 0; round < kRounds; ++round) {
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {  // writes versions last+1, last+2, ... until killed; never returns to gtest
      try {
        for (int64_t v = last + 1; v < last + 100'000; ++v) writer.save(path, v);
      } catch (...) {
      }
      ::_exit(0);
    }
    // Past the child's first fill (copy-on-write faults), within its next few writes: mostly
    // mid-write, sometimes between two.
    std::uniform_real_distribution<double> delay(1.0 * write_ms, 4.0 * write_ms);
    std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(delay(rng)));
    ASSERT_EQ(::kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the writer exited before it was killed";
    mid_write += !temporaries(dir).empty();

    Checkpoint checkpoint = Checkpoint::open(path);
    int64_t v = checkpoint.state().global_step;
    EXPECT_GE(v, last) << "round " << round;
    checkpoint.restore("big", reader.model, reader.sgd, reader.ema.get());
    EXPECT_TRUE(holds(reader.model.state_dict(), v)) << "round " << round << ": model is not all version " << v;
    EXPECT_TRUE(holds(reader.sgd.state_tensors(), v)) << "round " << round;
    EXPECT_TRUE(holds(reader.ema->state_dict(), v)) << "round " << round;
    last = v;
  }
  RecordProperty("write_ms", std::to_string(write_ms));
  RecordProperty("killed_mid_write", std::to_string(mid_write));
  EXPECT_GT(last, 0) << "no write completed in " << kRounds << " rounds";
  EXPECT_GT(mid_write, 0) << "no kill landed during a write";
  // The next save removes the temporaries the killed writers left.
  writer.save(path, last + 1);
  EXPECT_TRUE(temporaries(dir).empty()) << temporaries(dir)[0];
}

}  // namespace
}  // namespace lucid::train
