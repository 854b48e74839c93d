// safetensors files (JSON header + little-endian tensors) with reckit's additions: a checksum of the
// tensor bytes in __metadata__, atomic writes (temp file, fsync, rename), and a reader that checks every
// offset, dtype size and shape before handing out a byte, from a file, a memory map, or a buffer.
// Format: u64 LE header length N, N bytes of JSON {"name": {"dtype","shape","data_offsets":[b,e]}, ...,
// "__metadata__": {str: str}}, then the data section; offsets are relative to the data section.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace reckit::st {

enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U64, U32, U16, U8, BOOL };

const char* dtype_name(DType dtype);  // "F32", "BF16", ... as safetensors spells them
size_t dtype_size(DType dtype);

// Metadata keys reckit writes; "reckit.kind" names the object type (e.g. "CosineIndex").
constexpr const char* kKindKey = "reckit.kind";
constexpr const char* kFormatVersionKey = "reckit.format";
constexpr const char* kChecksumKey = "reckit.xxh64";

// Collects views of tensors (no copies) and metadata; the views must stay valid until save/to_buffer returns.
class Writer {
 public:
  void add(const std::string& name, DType dtype, std::vector<uint64_t> shape, const void* data);
  void set_metadata(const std::string& key, const std::string& value);
  // Writes `path` atomically: a sibling temp file, fsync, rename, fsync of the directory. On failure the
  // previous file (if any) is untouched and the temp file removed. Throws ERR_RECKIT_IO.
  void save(const std::string& path) const;
  std::vector<uint8_t> to_buffer() const;

 private:
  struct Entry {
    std::string name;
    DType dtype;
    std::vector<uint64_t> shape;
    const void* data;
    size_t bytes;
  };
  std::string header_json(uint64_t checksum) const;
  uint64_t checksum() const;
  std::vector<Entry> entries_;
  std::map<std::string, std::string> metadata_;
};

struct Tensor {
  DType dtype;
  std::vector<uint64_t> shape;
  const uint8_t* data;  // inside the file's bytes; valid while the File lives
  size_t bytes;
  size_t elements() const;
};

// A validated safetensors image. Keep the shared_ptr alive while tensor data is used (mmap'd files).
class File {
 public:
  // Reads (or, with mmap, maps read-only) and validates `path`. Throws ERR_RECKIT_IO / ERR_RECKIT_CORRUPT_FILE.
  static std::shared_ptr<File> open(const std::string& path, bool mmap = false, bool verify_checksum = true);
  // Validates a copy of `size` bytes at `data`.
  static std::shared_ptr<File> from_buffer(const void* data, size_t size, bool verify_checksum = true);
  ~File();

  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  // The metadata value or throws ERR_RECKIT_CORRUPT_FILE naming the missing key.
  const std::string& metadata(const std::string& key) const;
  bool has(const std::string& name) const { return tensors_.count(name) != 0; }
  const std::map<std::string, Tensor>& tensors() const { return tensors_; }
  // The tensor, checked to have this dtype and (if non-empty) this shape; else ERR_RECKIT_CORRUPT_FILE.
  const Tensor& tensor(const std::string& name, DType dtype, const std::vector<uint64_t>& shape = {}) const;
  bool mapped() const { return mapped_; }
  // Whether the file carried reckit's checksum (files written by reckit always do).
  bool has_checksum() const { return metadata_.count(kChecksumKey) != 0; }
  // reckit's own loaders call this: without it, damage to the checksum's key (one flipped header
  // byte) would silently turn verification off for the rest of the file.
  void require_checksum() const;
  size_t size() const { return size_; }

  File(const File&) = delete;
  File& operator=(const File&) = delete;

 private:
  File() = default;
  void parse(bool verify_checksum);
  const uint8_t* bytes_ = nullptr;
  size_t size_ = 0;
  bool mapped_ = false;
  std::vector<uint8_t> owned_;
  std::map<std::string, std::string> metadata_;
  std::map<std::string, Tensor> tensors_;
};

// XXH64 (the checksum reckit stores), streaming so large tensors are hashed in place.
class Xxh64 {
 public:
  explicit Xxh64(uint64_t seed = 0);
  void update(const void* data, size_t size);
  uint64_t digest() const;

 private:
  void consume_stripe(const uint8_t* p);
  uint64_t acc_[4];
  uint64_t seed_;
  uint64_t total_ = 0;
  uint8_t buffer_[32] = {};
  size_t buffered_ = 0;
};
uint64_t xxh64(const void* data, size_t size, uint64_t seed = 0);

}  // namespace reckit::st
