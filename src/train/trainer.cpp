#include "lucid/train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "lucid/autograd.h"
#include "lucid/error.h"
#include "lucid/io/tensor_source.h"
#include "lucid/models/registry.h"
#include "lucid/models/weights.h"
#include "lucid/nn/layers.h"
#include "lucid/ops.h"
#include "lucid/random.h"
#include "lucid/train/checkpoint.h"
#include "lucid/train/clip.h"
#include "lucid/train/ema.h"
#include "lucid/train/schedule.h"

namespace lucid::train {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The first n samples of a data set (--limit-train / --limit-test: quick runs and tests).
class Prefix : public data::Dataset {
 public:
  Prefix(std::shared_ptr<const data::Dataset> inner, int64_t n) : inner_(std::move(inner)), n_(n) {}
  int64_t size() const override { return n_; }
  std::vector<std::string> class_names() const override { return inner_->class_names(); }
  Shape sample_shape() const override { return inner_->sample_shape(); }
  data::Preprocess eval_preprocess() const override { return inner_->eval_preprocess(); }
  data::Sample get(int64_t index, uint64_t seed) const override { return inner_->get(index, seed); }

 private:
  std::shared_ptr<const data::Dataset> inner_;
  int64_t n_;
};

std::shared_ptr<const data::Dataset> open_split(const TrainConfig& c, data::Split split, int64_t limit) {
  data::Transform t;
  t.augment = split == data::Split::Train && c.augment;
  t.pad = c.pad;
  if (c.image_size > 0) t.size = c.image_size;
  auto dataset = data::open_dataset(c.data, split, t);
  if (limit < 0) throw ValueError("train", cat("a data limit must be >= 0, got ", limit));
  if (limit > 0 && limit < dataset->size()) dataset = std::make_shared<Prefix>(dataset, limit);
  return dataset;
}

void check_config(const TrainConfig& c) {
  auto positive = [](const char* what, double v) {
    if (!(v > 0) || !std::isfinite(v)) throw ValueError("train", cat(what, " must be > 0, got ", v));
  };
  positive("--epochs", double(c.epochs));
  positive("--batch", double(c.batch));
  positive("--accumulate", double(c.accumulate));
  positive("--lr", c.lr);
  if (c.optimizer != "sgd" && c.optimizer != "adamw")
    throw ValueError("train", cat("unknown optimizer '", c.optimizer, "' (sgd or adamw)"));
  if (c.schedule != "step" && c.schedule != "cosine" && c.schedule != "onecycle" && c.schedule != "constant")
    throw ValueError("train", cat("unknown schedule '", c.schedule, "' (step, cosine, onecycle or constant)"));
  if (!(c.label_smoothing >= 0 && c.label_smoothing < 1))
    throw ValueError("train", cat("--label-smoothing must be in [0, 1), got ", c.label_smoothing));
  if (c.warmup_epochs < 0 || c.warmup_epochs > c.epochs)
    throw ValueError("train", cat("--warmup-epochs must be in [0, epochs], got ", c.warmup_epochs));
}

std::unique_ptr<Optimizer> make_optimizer(const TrainConfig& c, const nn::Module& model) {
  if (c.optimizer == "adamw")
    return std::make_unique<Adamw>(model.named_parameters(),
                                   AdamwOptions{.lr = c.lr, .beta1 = c.momentum, .weight_decay = c.weight_decay,
                                                .exclude_norm_and_bias = !c.decay_norm_and_bias});
  return std::make_unique<Sgd>(model.named_parameters(),
                               SgdOptions{.lr = c.lr, .momentum = c.momentum, .weight_decay = c.weight_decay,
                                          .nesterov = c.nesterov, .exclude_norm_and_bias = !c.decay_norm_and_bias});
}

std::unique_ptr<Schedule> make_schedule(const TrainConfig& c, int64_t steps_per_epoch) {
  const int64_t total = c.epochs * steps_per_epoch;
  if (c.schedule == "onecycle")
    return std::make_unique<OneCycleSchedule>(OneCycleOptions{
        .max_lr = c.lr, .total_steps = total, .pct_start = c.pct_start, .cycle_momentum = c.momentum > 0});
  if (c.schedule == "cosine")
    return std::make_unique<WarmupCosineSchedule>(WarmupCosineOptions{
        .lr = c.lr, .warmup_steps = int64_t(std::llround(c.warmup_epochs * steps_per_epoch)), .total_steps = total});
  if (c.schedule == "step")
    return std::make_unique<StepSchedule>(
        StepOptions{.lr = c.lr, .step_size = c.step_size, .gamma = c.gamma, .steps_per_epoch = steps_per_epoch});
  return nullptr;  // constant
}

// A frozen backbone keeps its BatchNorm statistics too: everything but the classifier in eval mode.
void set_train_mode(nn::Module& model, bool freeze_backbone) {
  model.train();
  if (!freeze_backbone) return;
  for (const auto& [name, child] : model.children())
    if (name != "fc") child->eval();
}

nn::Dropout* find_dropout(const nn::Module& model) {
  for (const auto& [name, module] : model.named_modules())
    if (auto* d = dynamic_cast<nn::Dropout*>(module)) return d;
  return nullptr;
}

nlohmann::json to_json(const EpochMetrics& m) {
  nlohmann::json j = {{"epoch", m.epoch},           {"train_loss", m.train_loss}, {"train_acc", m.train_acc},
                      {"test_loss", m.test_loss},   {"test_acc", m.test_acc},     {"test_top5", m.test_top5},
                      {"images_per_s", m.images_per_s}, {"train_seconds", m.train_seconds},
                      {"eval_seconds", m.eval_seconds}, {"lr", m.lr}};
  if (m.has_ema) j.update({{"ema_test_loss", m.ema_test_loss}, {"ema_test_acc", m.ema_test_acc},
                           {"ema_test_top5", m.ema_test_top5}});
  return j;
}

EpochMetrics metrics_from_json(const nlohmann::json& j) {
  EpochMetrics m{.epoch = j.at("epoch"), .train_loss = j.at("train_loss"), .train_acc = j.at("train_acc"),
                 .test_loss = j.at("test_loss"), .test_acc = j.at("test_acc"), .test_top5 = j.at("test_top5"),
                 .images_per_s = j.at("images_per_s"), .train_seconds = j.at("train_seconds"),
                 .eval_seconds = j.at("eval_seconds"), .lr = j.at("lr")};
  if (j.contains("ema_test_acc")) {
    m.has_ema = true;
    m.ema_test_loss = j.at("ema_test_loss"), m.ema_test_acc = j.at("ema_test_acc");
    m.ema_test_top5 = j.at("ema_test_top5");
  }
  return m;
}

// metrics.jsonl is rewritten whole from the run's history (temp file, rename), so after a crash
// and --resume it holds exactly the epochs of the checkpoint it continued from.
void write_metrics(const fs::path& dir, const std::vector<EpochMetrics>& history) {
  const fs::path path = dir / "metrics.jsonl", tmp = dir / "metrics.jsonl.tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    for (const auto& m : history) out << to_json(m).dump() << "\n";
    if (!out) throw IoError("train", cat("cannot write ", tmp.string()));
  }
  fs::rename(tmp, path);
}

// Top-1 and top-5 hits of logits (N,C) against labels (N).
std::pair<int64_t, int64_t> hits(const Tensor& logits, const Tensor& labels) {
  const int64_t n = logits.size(0), classes = logits.size(1);
  const float* l = logits.data<float>();
  const int64_t* y = labels.data<int64_t>();
  int64_t top1 = 0, top5 = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float* row = l + i * classes;
    // The label's rank: classes scoring higher, or as high at a lower index (argmax takes the first).
    int64_t above = 0;
    for (int64_t c = 0; c < classes; ++c) above += row[c] > row[y[i]] || (row[c] == row[y[i]] && c < y[i]);
    top1 += above == 0;
    top5 += above < 5;
  }
  return {top1, top5};
}

}  // namespace

EvalResult evaluate(nn::Module& model, data::DataLoader& loader) {
  autograd::NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  EvalResult r;
  double loss_sum = 0;
  int64_t top1 = 0, top5 = 0;
  loader.start_epoch(0);
  data::Batch batch;
  while (loader.next(batch)) {
    Tensor logits = model(batch.images);
    const int64_t n = logits.size(0);
    loss_sum += double(ops::cross_entropy(logits, batch.labels).data<float>()[0]) * n;
    auto [a, b] = hits(logits, batch.labels);
    top1 += a, top5 += b, r.images += n;
  }
  model.train(was_training);
  if (r.images > 0) r.loss = loss_sum / r.images, r.top1 = double(top1) / r.images, r.top5 = double(top5) / r.images;
  return r;
}

TrainResult run_training(const TrainConfig& c, const std::function<void(const Progress&)>& progress) {
  check_config(c);
  ops::set_num_threads(c.threads);
  Storage::set_cache_limit(size_t(1) << 30);  // each step reallocates the last step's activations
  auto train_set = open_split(c, data::Split::Train, c.limit_train);
  auto test_set = open_split(c, data::Split::Test, c.limit_test);

  const int64_t data_classes = train_set->num_classes();
  const int64_t num_classes = c.num_classes > 0 ? c.num_classes : data_classes;
  if (data_classes > num_classes)
    throw ValueError("train", cat("the data has ", data_classes, " classes (labels 0..", data_classes - 1,
                                  ") but --num-classes is ", num_classes));
  const int64_t data_channels = train_set->sample_shape().at(0);
  const int64_t in_channels = c.in_channels > 0 ? c.in_channels : data_channels;
  if (in_channels != data_channels)
    throw ValueError("train", cat("the data has ", data_channels, " channels but --in-channels is ", in_channels));

  manual_seed(c.seed);
  auto model = models::create_model(c.model, {.num_classes = num_classes, .in_channels = in_channels});
  if (!c.weights.empty()) models::load_weights(*model, c.weights, {.new_head = true});
  if (c.freeze_backbone)
    for (auto& [name, p] : model->named_parameters())
      if (name.rfind("fc.", 0) != 0) p.set_requires_grad(false);

  auto optimizer = make_optimizer(c, *model);
  data::DataLoader train_loader(train_set, {.batch = c.batch, .shuffle = true, .drop_last = true,
                                            .workers = c.workers, .seed = c.seed});
  data::DataLoader test_loader(test_set, {.batch = c.batch, .shuffle = false, .drop_last = false,
                                          .workers = c.workers, .seed = c.seed});
  const int64_t batches = train_loader.batches_per_epoch();
  // Optimizer steps: one per `accumulate` batches, the epoch's last group possibly shorter.
  const int64_t steps_per_epoch = (batches + c.accumulate - 1) / c.accumulate;
  if (batches == 0)
    throw ValueError("train", cat("the training set (", train_set->size(), " images) is smaller than one batch (",
                                  c.batch, ")"));
  auto schedule = make_schedule(c, steps_per_epoch);
  std::unique_ptr<ModelEma> ema;
  std::shared_ptr<nn::Module> ema_model;  // the averaged weights, loaded into it for evaluation
  if (c.ema_decay > 0) {
    ema = std::make_unique<ModelEma>(*model, c.ema_decay);
    ema_model = models::create_model(c.model, {.num_classes = num_classes, .in_channels = in_channels});
  }
  nn::Dropout* dropout = find_dropout(*model);

  const fs::path dir(c.out);
  fs::create_directories(dir);
  TrainResult result{.epochs = {}, .last_checkpoint = (dir / "last.safetensors").string(),
                     .best_checkpoint = (dir / "best.safetensors").string()};
  int64_t first_epoch = 0, step = 0;
  if (c.resume) {
    if (!fs::exists(result.last_checkpoint))
      throw IoError("train", cat("--resume: no checkpoint to continue from in ", dir.string(),
                                 " (expected last.safetensors)"));
    Checkpoint checkpoint = Checkpoint::open(result.last_checkpoint);
    checkpoint.restore(c.model, *model, *optimizer, ema.get());
    first_epoch = checkpoint.state().epoch;
    step = checkpoint.state().global_step;
    for (const auto& m : checkpoint.state().user.at("history")) result.epochs.push_back(metrics_from_json(m));
    if (dropout && checkpoint.state().generators.count("dropout"))
      dropout->generator().set_state(checkpoint.state().generators.at("dropout"));
  }
  const data::Preprocess p = test_set->eval_preprocess();
  const nlohmann::json preprocess = {{"resize", p.resize}, {"crop", p.crop}, {"channels", p.channels},
                                     {"mean", std::vector<float>(p.mean.begin(), p.mean.begin() + p.channels)},
                                     {"std", std::vector<float>(p.std.begin(), p.std.begin() + p.channels)}};
  double best = -1;
  for (const auto& m : result.epochs) best = std::max(best, m.test_acc);

  const int64_t last_epoch = c.stop_after > 0 ? std::min(c.stop_after, c.epochs) : c.epochs;
  for (int64_t epoch = first_epoch; epoch < last_epoch; ++epoch) {
    set_train_mode(*model, c.freeze_backbone);
    train_loader.start_epoch(epoch);
    const auto start = Clock::now();
    double loss_sum = 0;
    int64_t images = 0, correct = 0;
    data::Batch batch;
    for (int64_t b = 0; train_loader.next(batch); ++b) {
      // Gradient accumulation: the batches of a group each add their share of the group's mean loss.
      const int64_t position = b % c.accumulate, group = std::min(c.accumulate, batches - (b - position));
      if (position == 0) {
        if (schedule) schedule->apply(*optimizer, step);
        optimizer->zero_grad();
      }
      Tensor logits = (*model)(batch.images);
      Tensor loss = ops::cross_entropy(logits, batch.labels, float(c.label_smoothing));
      if (group == 1)
        loss.backward();
      else
        loss.backward(Tensor::full(loss.shape(), 1.0f / float(group)));
      if (position == group - 1) {
        if (c.clip_grad_norm > 0) clip_grad_norm(model->parameters(), c.clip_grad_norm);
        optimizer->step();
        if (ema) ema->update(*model);
        ++step;
      }

      const int64_t n = batch.labels.numel();
      const double l = loss.data<float>()[0];
      if (!std::isfinite(l))
        throw ValueError("train", cat("the loss became ", l, " at epoch ", epoch + 1, ", batch ", b + 1,
                                      " (lr ", optimizer->lr(), "): try a lower --lr or --clip-grad-norm"));
      loss_sum += l * n, images += n, correct += hits(logits.detach(), batch.labels).first;
      if (progress) {
        const double rate = images / seconds_since(start);
        progress({epoch + 1, c.epochs, b + 1, batches, l, rate, (batches - b - 1) * c.batch / rate});
      }
    }
    EpochMetrics m{.epoch = epoch + 1, .train_loss = loss_sum / images, .train_acc = double(correct) / images};
    m.train_seconds = seconds_since(start);
    m.images_per_s = images / m.train_seconds;
    m.lr = optimizer->lr();
    const auto eval_start = Clock::now();
    const EvalResult eval = evaluate(*model, test_loader);
    m.test_loss = eval.loss, m.test_acc = eval.top1, m.test_top5 = eval.top5;
    if (ema) {
      ema_model->load_state_dict(io::TensorMap(ema->state_dict()));
      const EvalResult e = evaluate(*ema_model, test_loader);
      m.has_ema = true, m.ema_test_loss = e.loss, m.ema_test_acc = e.top1, m.ema_test_top5 = e.top5;
    }
    m.eval_seconds = seconds_since(eval_start);
    result.epochs.push_back(m);

    TrainingState state{.model = c.model,
                        .architecture = {{"num_classes", num_classes}, {"in_channels", in_channels}},
                        .epoch = epoch + 1,
                        .global_step = step,
                        .schedule = schedule ? schedule->to_json() : nlohmann::json(),
                        .generators = {},
                        .user = {{"history", nlohmann::json::array()},
                                 {"classes", train_set->class_names()},
                                 {"preprocess", preprocess},
                                 {"data", c.data}}};
    if (dropout) state.generators["dropout"] = dropout->generator().state();
    for (const auto& e : result.epochs) state.user["history"].push_back(to_json(e));
    save_checkpoint(result.last_checkpoint, state, *model, *optimizer, ema.get());
    if (m.test_acc > best) {
      best = m.test_acc;
      save_checkpoint(result.best_checkpoint, state, *model, *optimizer, ema.get());
    }
    write_metrics(dir, result.epochs);
  }
  return result;
}

}  // namespace lucid::train
