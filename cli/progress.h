// A progress bar on stderr, drawn only when stderr is a terminal and there is enough work to
// watch; lines printed through it do not tear the bar.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace lucid::cli {

class Progress {
 public:
  Progress(size_t total, std::string label)
      : total_(total), label_(std::move(label)), enabled_(total >= 16 && isatty(STDERR_FILENO)),
        start_(std::chrono::steady_clock::now()) {}
  void advance() {
    ++done_;
    draw();
  }
  // A line on stdout / stderr, printed above the bar.
  void print(const std::string& text) { clear(), std::fputs(text.c_str(), stdout), std::fflush(stdout), draw(); }
  void message(const std::string& text) { clear(), std::fprintf(stderr, "%s\n", text.c_str()), draw(); }
  void finish() {
    if (enabled_) std::fputc('\n', stderr);
    enabled_ = false;
  }

 private:
  void clear() const {
    if (enabled_) std::fputs("\r\033[K", stderr);
  }
  void draw() const {
    if (!enabled_) return;
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    double rate = seconds > 0 ? done_ / seconds : 0;
    int width = 30, filled = static_cast<int>(width * done_ / total_);
    std::fprintf(stderr, "\r%s [%s%s] %zu/%zu  %.1f/s  ETA %.0fs", label_.c_str(), std::string(filled, '#').c_str(),
                 std::string(width - filled, '.').c_str(), done_, total_, rate,
                 rate > 0 ? (total_ - done_) / rate : 0.0);
    std::fflush(stderr);
  }

  size_t total_, done_ = 0;
  std::string label_;
  bool enabled_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace lucid::cli
