// safetensors writer and validating reader (see safetensors.h for the format and guarantees).
#include "core/safetensors.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>

#if !defined(_WIN32)
#include <sys/mman.h>
#include <unistd.h>
#endif

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/json.h"

namespace reckit::st {
namespace {

constexpr uint64_t kMaxHeaderBytes = 100ull << 20;  // the safetensors spec's own limit
constexpr const char* kFormatVersion = "1";

struct DTypeInfo {
  DType dtype;
  const char* name;
  size_t size;
};
constexpr DTypeInfo kDTypes[] = {
    {DType::F64, "F64", 8}, {DType::F32, "F32", 4},   {DType::F16, "F16", 2}, {DType::BF16, "BF16", 2},
    {DType::I64, "I64", 8}, {DType::I32, "I32", 4},   {DType::I16, "I16", 2}, {DType::I8, "I8", 1},
    {DType::U64, "U64", 8}, {DType::U32, "U32", 4},   {DType::U16, "U16", 2}, {DType::U8, "U8", 1},
    {DType::BOOL, "BOOL", 1},
};

// a * b, or throws CorruptFile on overflow (shapes come from untrusted headers).
uint64_t checked_mul(uint64_t a, uint64_t b, const std::string& what) {
  if (a != 0 && b > UINT64_MAX / a) fail(ErrorCode::CorruptFile, what + ": tensor size overflows");
  return a * b;
}

std::string hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

void put_u64_le(uint8_t* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(v >> (8 * i));
}

uint64_t get_u64_le(const uint8_t* in) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | in[i];
  return v;
}

}  // namespace

const char* dtype_name(DType dtype) {
  for (const auto& d : kDTypes) {
    if (d.dtype == dtype) return d.name;
  }
  return "?";
}

size_t dtype_size(DType dtype) {
  for (const auto& d : kDTypes) {
    if (d.dtype == dtype) return d.size;
  }
  return 0;
}

size_t Tensor::elements() const {
  size_t n = 1;
  for (uint64_t d : shape) n *= static_cast<size_t>(d);
  return n;
}

// ---- writer ----------------------------------------------------------------------------------

void Writer::add(const std::string& name, DType dtype, std::vector<uint64_t> shape, const void* data) {
  require(!name.empty() && name != "__metadata__", ErrorCode::InvalidArg, "invalid tensor name '" + name + "'");
  for (const Entry& e : entries_) require(e.name != name, ErrorCode::InvalidArg, "duplicate tensor '" + name + "'");
  uint64_t bytes = dtype_size(dtype);
  for (uint64_t d : shape) bytes *= d;
  entries_.push_back(Entry{name, dtype, std::move(shape), data, static_cast<size_t>(bytes)});
}

void Writer::set_metadata(const std::string& key, const std::string& value) { metadata_[key] = value; }

// Tensors are laid out by descending element size so each one is aligned to its element size (the
// header is padded to a multiple of 8), with no holes, as the safetensors spec requires.
static std::vector<size_t> layout_order(const std::vector<size_t>& sizes) {
  std::vector<size_t> order(sizes.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return sizes[a] > sizes[b]; });
  return order;
}

uint64_t Writer::checksum() const {
  // The data section in file order, hashed in place (no copy of large tensors).
  std::vector<size_t> sizes;
  for (const Entry& e : entries_) sizes.push_back(dtype_size(e.dtype));
  Xxh64 state;
  for (size_t i : layout_order(sizes)) state.update(entries_[i].data, entries_[i].bytes);
  return state.digest();
}

std::string Writer::header_json(uint64_t sum) const {
  std::vector<size_t> sizes;
  for (const Entry& e : entries_) sizes.push_back(dtype_size(e.dtype));
  std::string json = "{";
  uint64_t offset = 0;
  bool first = true;
  for (size_t i : layout_order(sizes)) {
    const Entry& e = entries_[i];
    if (!first) json += ",";
    first = false;
    json += json::quote(e.name) + ":{\"dtype\":\"" + dtype_name(e.dtype) + "\",\"shape\":[";
    for (size_t d = 0; d < e.shape.size(); ++d) json += (d ? "," : "") + std::to_string(e.shape[d]);
    json += "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + e.bytes) + "]}";
    offset += e.bytes;
  }
  std::map<std::string, std::string> meta = metadata_;
  meta[kFormatVersionKey] = kFormatVersion;
  meta[kChecksumKey] = hex64(sum);
  json += std::string(first ? "" : ",") + "\"__metadata__\":{";
  bool first_meta = true;
  for (const auto& kv : meta) {
    json += (first_meta ? "" : ",") + json::quote(kv.first) + ":" + json::quote(kv.second);
    first_meta = false;
  }
  json += "}}";
  while (json.size() % 8 != 0) json += ' ';
  return json;
}

void Writer::save(const std::string& path) const {
  std::vector<size_t> sizes;
  for (const Entry& e : entries_) sizes.push_back(dtype_size(e.dtype));
  const std::string header = header_json(checksum());
  write_file_atomically(path, [&](const ChunkSink& sink) {
    uint8_t length[8];
    put_u64_le(length, header.size());
    sink(length, 8);
    sink(header.data(), header.size());
    for (size_t i : layout_order(sizes)) {
      if (entries_[i].bytes) sink(entries_[i].data, entries_[i].bytes);
    }
  });
}

std::vector<uint8_t> Writer::to_buffer() const {
  std::vector<size_t> sizes;
  for (const Entry& e : entries_) sizes.push_back(dtype_size(e.dtype));
  const std::string header = header_json(checksum());
  size_t total = 8 + header.size();
  for (const Entry& e : entries_) total += e.bytes;
  std::vector<uint8_t> out(total);
  put_u64_le(out.data(), header.size());
  std::memcpy(out.data() + 8, header.data(), header.size());
  size_t offset = 8 + header.size();
  for (size_t i : layout_order(sizes)) {
    if (entries_[i].bytes) std::memcpy(out.data() + offset, entries_[i].data, entries_[i].bytes);
    offset += entries_[i].bytes;
  }
  return out;
}

// ---- reader ----------------------------------------------------------------------------------

std::shared_ptr<File> File::from_buffer(const void* data, size_t size, bool verify_checksum) {
  std::shared_ptr<File> file(new File());
  file->owned_.assign(static_cast<const uint8_t*>(data), static_cast<const uint8_t*>(data) + size);
  file->bytes_ = file->owned_.data();
  file->size_ = size;
  file->parse(verify_checksum);
  return file;
}

std::shared_ptr<File> File::open(const std::string& path, bool mmap, bool verify_checksum) {
  std::shared_ptr<File> file(new File());
#if !defined(_WIN32)
  if (mmap) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail(ErrorCode::Io, "cannot open '" + path + "': " + std::strerror(errno));
    struct stat info {};
    if (::fstat(fd, &info) != 0) {
      ::close(fd);
      fail(ErrorCode::Io, "cannot stat '" + path + "': " + std::strerror(errno));
    }
    file->size_ = static_cast<size_t>(info.st_size);
    if (file->size_ > 0) {
      void* mapped = ::mmap(nullptr, file->size_, PROT_READ, MAP_SHARED, fd, 0);
      if (mapped == MAP_FAILED) {
        ::close(fd);
        fail(ErrorCode::Io, "cannot map '" + path + "': " + std::strerror(errno));
      }
      file->bytes_ = static_cast<const uint8_t*>(mapped);
      file->mapped_ = true;
    }
    ::close(fd);  // the mapping keeps the file alive
    file->parse(verify_checksum);
    return file;
  }
#else
  (void)mmap;
#endif
  const std::string content = read_file(path);
  file->owned_.assign(content.begin(), content.end());
  file->bytes_ = file->owned_.data();
  file->size_ = file->owned_.size();
  file->parse(verify_checksum);
  return file;
}

File::~File() {
#if !defined(_WIN32)
  if (mapped_ && bytes_) ::munmap(const_cast<uint8_t*>(bytes_), size_);
#endif
}

void File::require_checksum() const {
  if (!has_checksum()) fail(ErrorCode::CorruptFile, std::string("safetensors file: reckit's checksum (") + kChecksumKey + ") is missing");
}

const std::string& File::metadata(const std::string& key) const {
  auto it = metadata_.find(key);
  if (it == metadata_.end()) fail(ErrorCode::CorruptFile, "file metadata lacks '" + key + "'");
  return it->second;
}

const Tensor& File::tensor(const std::string& name, DType dtype, const std::vector<uint64_t>& shape) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) fail(ErrorCode::CorruptFile, "file lacks tensor '" + name + "'");
  const Tensor& t = it->second;
  if (t.dtype != dtype) {
    fail(ErrorCode::CorruptFile, "tensor '" + name + "' has dtype " + dtype_name(t.dtype) + ", expected " + dtype_name(dtype));
  }
  if (!shape.empty() && t.shape != shape) fail(ErrorCode::CorruptFile, "tensor '" + name + "' has an unexpected shape");
  return t;
}

void File::parse(bool verify_checksum) {
  const std::string what = "safetensors file";
  if (size_ < 8) fail(ErrorCode::CorruptFile, what + ": truncated (" + std::to_string(size_) + " bytes)");
  const uint64_t header_size = get_u64_le(bytes_);
  if (header_size > kMaxHeaderBytes || header_size > size_ - 8) {
    fail(ErrorCode::CorruptFile, what + ": header length " + std::to_string(header_size) + " exceeds the file");
  }
  const json::Value root = json::parse(reinterpret_cast<const char*>(bytes_ + 8), header_size, "safetensors header");
  if (root.type != json::Value::Type::Object) fail(ErrorCode::CorruptFile, what + ": header is not an object");
  const uint8_t* data = bytes_ + 8 + header_size;
  const uint64_t data_size = size_ - 8 - header_size;

  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const auto& entry : root.object) {
    const std::string& name = entry.first;
    const json::Value& v = entry.second;
    if (name == "__metadata__") {
      if (v.type != json::Value::Type::Object) fail(ErrorCode::CorruptFile, what + ": __metadata__ is not an object");
      for (const auto& kv : v.object) {
        if (kv.second.type != json::Value::Type::String) {
          fail(ErrorCode::CorruptFile, what + ": metadata '" + kv.first + "' is not a string");
        }
        metadata_[kv.first] = kv.second.string;
      }
      continue;
    }
    const std::string where = what + ": tensor '" + name + "'";
    if (v.type != json::Value::Type::Object) fail(ErrorCode::CorruptFile, where + " is not an object");
    const json::Value* dtype = v.find("dtype");
    const json::Value* shape = v.find("shape");
    const json::Value* offsets = v.find("data_offsets");
    if (!dtype || dtype->type != json::Value::Type::String || !shape || shape->type != json::Value::Type::Array ||
        !offsets || offsets->type != json::Value::Type::Array || offsets->array.size() != 2) {
      fail(ErrorCode::CorruptFile, where + " lacks dtype/shape/data_offsets");
    }
    Tensor t{};
    bool known = false;
    for (const auto& d : kDTypes) {
      if (dtype->string == d.name) {
        t.dtype = d.dtype;
        known = true;
      }
    }
    if (!known) fail(ErrorCode::CorruptFile, where + " has unknown dtype '" + dtype->string + "'");
    uint64_t expected = dtype_size(t.dtype);
    for (const json::Value& d : shape->array) {
      if (d.type != json::Value::Type::Number || !d.integral) fail(ErrorCode::CorruptFile, where + " has a bad shape");
      t.shape.push_back(d.integer);
      expected = checked_mul(expected, d.integer, where);
    }
    for (const json::Value& o : offsets->array) {
      if (o.type != json::Value::Type::Number || !o.integral) fail(ErrorCode::CorruptFile, where + " has bad offsets");
    }
    const uint64_t begin = offsets->array[0].integer, end = offsets->array[1].integer;
    if (begin > end || end > data_size) fail(ErrorCode::CorruptFile, where + " lies outside the file (truncated?)");
    if (end - begin != expected) fail(ErrorCode::CorruptFile, where + " has a byte length that does not match its shape");
    t.data = data + begin;
    t.bytes = static_cast<size_t>(end - begin);
    ranges.emplace_back(begin, end);
    tensors_.emplace(name, std::move(t));
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].first < ranges[i - 1].second) fail(ErrorCode::CorruptFile, what + ": tensors overlap");
  }
  if (verify_checksum) {
    auto it = metadata_.find(kChecksumKey);
    if (it != metadata_.end()) {
      const uint64_t actual = xxh64(data, static_cast<size_t>(data_size));
#if defined(FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION)
      // Fuzz builds only: accept any checksum, so mutated inputs reach the parsers behind it.
      (void)actual;
      if (false) {
#else
      if (hex64(actual) != it->second) {
#endif
        fail(ErrorCode::CorruptFile, what + ": checksum mismatch (the data is damaged or was modified)");
      }
    }
  }
}

}  // namespace reckit::st
