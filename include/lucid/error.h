// The error hierarchy. Every message reads "[op] what is wrong, with the offending values".
// The library throws; it never aborts or exits. The CLI catches once at the top.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace lucid {

class Error : public std::runtime_error {
 public:
  Error(std::string_view op, std::string_view message) : std::runtime_error(format(op, message)) {}

 private:
  static std::string format(std::string_view op, std::string_view message) {
    std::string text;
    text.reserve(op.size() + message.size() + 3);
    text.append("[").append(op).append("] ").append(message);
    return text;
  }
};

// A tensor has the wrong rank, size or layout for what was asked of it.
class ShapeError : public Error { using Error::Error; };
// An argument is out of range, unknown, or inconsistent with another.
class ValueError : public Error { using Error::Error; };
// A file cannot be read, written, or is not what it claims to be.
class IoError : public Error { using Error::Error; };
// A valid request this build or this machine cannot serve (a dtype, a device, a CPU feature).
class UnsupportedError : public Error { using Error::Error; };

// cat(a, b, c) streams its arguments into one string: the message builder for errors.
template <class... Args>
std::string cat(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}

}  // namespace lucid
