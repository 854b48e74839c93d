// Copies of an async call's typed-array inputs, taken on the JS thread before the work is queued.
//
// Why: an async call's compute runs on a worker thread while JS keeps running, and JS can detach the
// ArrayBuffer behind an input meanwhile (a transfer through postMessage or structuredClone, or
// ArrayBuffer.prototype.transfer on newer Node); its memory then belongs to someone else and may be freed.
// Keeping a reference to the array does not prevent that (it keeps the object, not its memory), and
// N-API cannot pin a backing store, so the only guarantee is a copy. It costs one memcpy of the inputs
// on the JS thread, small next to the work of any async call.
//
// Use: an async entry point declares `AsyncInputs inputs;` before reading its arguments. While it is in
// scope, the argument readers (binding/args.h and the per-family readers) return views of copies, and the
// worker created by run_async / ProgressWorker::run adopts the copies and frees them after it settles.
// Sync entry points declare nothing and read in place. Outputs the caller passes in (`out`) are not
// inputs: they are read with the in-place readers and written at settle time (see their bindings).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

namespace reckit::binding {

using InputCopies = std::vector<std::unique_ptr<uint8_t[]>>;

class AsyncInputs {
 public:
  AsyncInputs() : previous_(slot()) { slot() = this; }
  ~AsyncInputs() { slot() = previous_; }
  AsyncInputs(const AsyncInputs&) = delete;
  AsyncInputs& operator=(const AsyncInputs&) = delete;

  // The scope of the async call being set up on this thread, or null (a sync call).
  static AsyncInputs* current() { return slot(); }

  // `data` itself outside an async call's scope; else a copy that lives until the call settles.
  template <typename T>
  static T* stable(T* data, size_t count) {
    AsyncInputs* scope = current();
    if (scope == nullptr || data == nullptr || count == 0) return data;
    std::unique_ptr<uint8_t[]> block(new uint8_t[count * sizeof(T)]);  // no zero-fill: overwritten next
    std::memcpy(block.get(), data, count * sizeof(T));
    T* copy = reinterpret_cast<T*>(block.get());
    scope->copies_.push_back(std::move(block));
    return copy;
  }

  // Called by the worker being created: the copies made so far now live as long as the worker.
  static InputCopies adopt() {
    AsyncInputs* scope = current();
    return scope ? std::move(scope->copies_) : InputCopies{};
  }

 private:
  static AsyncInputs*& slot() {
    static thread_local AsyncInputs* current = nullptr;  // JS threads (main, workers) each have their own
    return current;
  }
  AsyncInputs* previous_;
  InputCopies copies_;
};

}  // namespace reckit::binding
