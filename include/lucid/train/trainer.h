// A training run as `lucid train` does it: model, data, optimizer, schedule, epochs of training
// and evaluation, metrics and checkpoints in an output folder, and exact resumption from the
// last checkpoint there.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "lucid/data/loader.h"
#include "lucid/nn/module.h"

namespace lucid::train {

struct TrainConfig {
  std::string model = "resnext_50_32x4d";
  std::string data = "fashion-mnist";  // data::open_dataset's spec
  int64_t epochs = 1;
  int64_t batch = 128;
  int64_t accumulate = 1;              // batches whose gradients are summed per optimizer step
  std::string optimizer = "sgd";       // sgd | adamw
  double lr = 0.05;                    // the peak lr for onecycle
  double momentum = 0.9;               // SGD momentum, AdamW beta1
  bool nesterov = false;
  double weight_decay = 5e-4;
  bool decay_norm_and_bias = true;     // false: BN and bias parameters get no weight decay
  std::string schedule = "onecycle";   // step | cosine | onecycle | constant
  double warmup_epochs = 0.0;          // cosine
  double pct_start = 0.15;             // onecycle
  int64_t step_size = 30;              // step: epochs between decays
  double gamma = 0.1;                  // step
  double label_smoothing = 0.0;
  double clip_grad_norm = 0.0;         // 0: no clipping
  double ema_decay = 0.0;              // 0: no EMA of weights; else it is evaluated after each epoch too
  int64_t num_classes = 0;             // 0: the data set's
  int64_t in_channels = 0;             // 0: the data set's
  std::string weights;                 // initial weights (fine-tuning); another head size is replaced
  bool freeze_backbone = false;        // train only the classifier (backbone BN in eval mode)
  bool augment = true;                 // random crop / flip of the training data
  int64_t pad = 4;                     // IDX data: zero padding of the random crop (0: flips only)
  int64_t image_size = 0;              // image folders: side of the training crop (0: 224)
  int64_t workers = 2;
  int threads = 0;                     // 0: all cores
  uint64_t seed = 0;
  int64_t limit_train = 0;             // use only the first N training / test images (0: all)
  int64_t limit_test = 0;
  int64_t stop_after = 0;              // stop after this many epochs of the schedule (0: run them all)
  std::string out = "runs/train";
  bool resume = false;                 // continue from out/last.safetensors
};

struct EpochMetrics {
  int64_t epoch = 0;  // 1-based
  double train_loss = 0, train_acc = 0;
  double test_loss = 0, test_acc = 0, test_top5 = 0;
  double images_per_s = 0;   // training images per second of training time
  double train_seconds = 0, eval_seconds = 0;
  double lr = 0;             // at the end of the epoch
  // With --ema: the averaged weights' test metrics (the model's are above).
  bool has_ema = false;
  double ema_test_loss = 0, ema_test_acc = 0, ema_test_top5 = 0;
};

struct Progress {
  int64_t epoch, epochs, batch, batches;
  double loss, images_per_s, eta_seconds;
};

struct TrainResult {
  std::vector<EpochMetrics> epochs;  // every epoch of the run, resumed ones included
  std::string last_checkpoint, best_checkpoint;
};

// Runs config; calls progress after every training batch. Writes out/metrics.jsonl (one line
// per epoch), out/last.safetensors after every epoch and out/best.safetensors when the test
// accuracy improves. Throws lucid errors for bad configuration or data.
TrainResult run_training(const TrainConfig& config, const std::function<void(const Progress&)>& progress = {});

struct EvalResult {
  int64_t images = 0;
  double loss = 0, top1 = 0, top5 = 0;  // mean cross entropy; accuracies in [0, 1]
};
// Evaluates model (eval mode, no grad) on one pass of the loader.
EvalResult evaluate(nn::Module& model, data::DataLoader& loader);

}  // namespace lucid::train
