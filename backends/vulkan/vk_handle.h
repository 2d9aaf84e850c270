// A move-only owner of one Vulkan handle with its destroy call (RAII for Vk* objects).
#pragma once

#include <functional>
#include <utility>

#include "vk_loader.h"

namespace crossenc::vk {

template <typename T>
class Unique {
 public:
  Unique() = default;
  Unique(T handle, std::function<void(T)> destroy)
      : handle_(handle), destroy_(std::move(destroy)) {}
  Unique(const Unique&) = delete;
  Unique& operator=(const Unique&) = delete;
  Unique(Unique&& o) noexcept
      : handle_(std::exchange(o.handle_, T{})), destroy_(std::move(o.destroy_)) {}
  Unique& operator=(Unique&& o) noexcept {
    if (this != &o) {
      reset();
      handle_ = std::exchange(o.handle_, T{});
      destroy_ = std::move(o.destroy_);
    }
    return *this;
  }
  ~Unique() { reset(); }

  T get() const { return handle_; }
  explicit operator bool() const { return handle_ != T{}; }
  void reset() {
    if (handle_ != T{} && destroy_) destroy_(handle_);
    handle_ = T{};
  }

 private:
  T handle_{};
  std::function<void(T)> destroy_;
};

}  // namespace crossenc::vk
