// lucid train: a training run (src/train/trainer.cpp) with a progress bar and one summary line
// per epoch.
#include <unistd.h>

#include <cstdio>

#include "commands.h"
#include "lucid/train/trainer.h"

namespace lucid::cli {
namespace {

// loss, images/s and ETA on one redrawn stderr line, when stderr is a terminal.
void draw(const train::Progress& p) {
  static const bool tty = isatty(STDERR_FILENO);
  if (!tty) return;
  const int width = 24, filled = int(width * p.batch / p.batches);
  std::fprintf(stderr, "\r\033[Kepoch %lld/%lld [%s%s] %lld/%lld  loss %.4f  %.0f img/s  ETA %.0fs",
               (long long)p.epoch, (long long)p.epochs, std::string(filled, '#').c_str(),
               std::string(width - filled, '.').c_str(), (long long)p.batch, (long long)p.batches, p.loss,
               p.images_per_s, p.eta_seconds);
  if (p.batch == p.batches) std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
}

void run(const train::TrainConfig& c) {
  train::TrainResult r = train::run_training(c, draw);
  for (const auto& m : r.epochs) {
    std::printf("epoch %lld: train loss %.4f, train acc %.2f%%, test acc %.2f%% (top-5 %.2f%%)", (long long)m.epoch,
                m.train_loss, 100 * m.train_acc, 100 * m.test_acc, 100 * m.test_top5);
    if (m.has_ema) std::printf(", EMA test acc %.2f%%", 100 * m.ema_test_acc);
    std::printf(", %.1f images/s, %.0f s\n", m.images_per_s, m.train_seconds + m.eval_seconds);
  }
  std::printf("checkpoints: %s (last), %s (best)\n", r.last_checkpoint.c_str(), r.best_checkpoint.c_str());
}

}  // namespace

void add_train(CLI::App& app) {
  auto* cmd = app.add_subcommand("train", "Train or fine-tune a model (Fashion-MNIST, MNIST or an image folder)");
  auto c = std::make_shared<train::TrainConfig>();
  cmd->add_option("--model", c->model, "Model name (see `lucid list`)")->capture_default_str();
  cmd->add_option("--data", c->data, "fashion-mnist, mnist:DIR, fashion-mnist:DIR, or a folder with train/ and test/")
      ->capture_default_str();
  cmd->add_option("--epochs", c->epochs)->capture_default_str()->check(positive());
  cmd->add_option("--batch", c->batch)->capture_default_str()->check(positive());
  cmd->add_option("--accumulate", c->accumulate, "Sum gradients over N batches per step (effective batch N x B)")
      ->capture_default_str()
      ->check(positive());
  cmd->add_option("--lr", c->lr, "Learning rate (the peak of onecycle)")->capture_default_str();
  cmd->add_option("--optimizer", c->optimizer)->capture_default_str()->check(CLI::IsMember({"sgd", "adamw"}));
  cmd->add_option("--momentum", c->momentum, "SGD momentum / AdamW beta1")->capture_default_str();
  cmd->add_flag("--nesterov", c->nesterov);
  cmd->add_option("--weight-decay", c->weight_decay)->capture_default_str();
  cmd->add_flag("!--decay-norm-and-bias,--no-decay-norm-and-bias", c->decay_norm_and_bias,
                "Exclude BatchNorm and bias parameters from weight decay");
  cmd->add_option("--schedule", c->schedule)->capture_default_str()->check(
      CLI::IsMember({"step", "cosine", "onecycle", "constant"}));
  cmd->add_option("--warmup-epochs", c->warmup_epochs, "Linear warm-up before cosine")->capture_default_str();
  cmd->add_option("--pct-start", c->pct_start, "onecycle: fraction of steps rising")->capture_default_str();
  cmd->add_option("--step-size", c->step_size, "step: epochs between decays")->capture_default_str();
  cmd->add_option("--gamma", c->gamma, "step: decay factor")->capture_default_str();
  cmd->add_option("--label-smoothing", c->label_smoothing)->capture_default_str();
  cmd->add_option("--clip-grad-norm", c->clip_grad_norm, "Clip the gradients' total 2-norm (0: off)")
      ->capture_default_str();
  cmd->add_option("--ema", c->ema_decay, "Keep (and evaluate) an EMA of the weights with this decay (0: off)")->capture_default_str();
  cmd->add_option("--num-classes", c->num_classes, "Classes (default: the data's)");
  cmd->add_option("--in-channels", c->in_channels, "Input channels (default: the data's)");
  cmd->add_option("--weights", c->weights, "Initial weights; a head of another size is replaced");
  cmd->add_flag("--freeze-backbone", c->freeze_backbone, "Train only the classifier");
  cmd->add_flag("!--no-augment", c->augment, "No random crop / flip of the training images");
  cmd->add_option("--pad", c->pad, "IDX data: padding of the random crop (0: flips only)")->capture_default_str();
  cmd->add_option("--image-size", c->image_size, "Image folders: side of the training crop (default 224)");
  cmd->add_option("--workers", c->workers, "Data loading threads")->capture_default_str()->check(worker_count());
  cmd->add_option("--threads", c->threads, "Compute threads (0: all cores)")->capture_default_str()->check(thread_count());
  cmd->add_option("--seed", c->seed)->capture_default_str();
  cmd->add_option("--limit-train", c->limit_train, "Use only the first N training images");
  cmd->add_option("--limit-test", c->limit_test, "Use only the first N test images");
  cmd->add_option("--out", c->out, "Folder for metrics.jsonl, last.safetensors, best.safetensors")
      ->capture_default_str();
  cmd->add_option("--stop-after", c->stop_after, "Stop after N epochs of the schedule (continue with --resume)");
  cmd->add_flag("--resume", c->resume, "Continue the run in --out from its last checkpoint");
  cmd->callback([c] { run(*c); });
}

}  // namespace lucid::cli
