// Writing a file so that readers see either the old complete file or the new complete file, never a
// torn one: write a sibling temp file, fsync it, rename over the target, fsync the directory.
#pragma once
#include <cstddef>
#include <functional>
#include <string>

namespace reckit {

// Receives chunks of the file in order; returns normally or throws.
using ChunkSink = std::function<void(const void* data, size_t size)>;

// Calls produce(sink) to stream the content into a temp file, then publishes it at `path`.
// Throws ERR_RECKIT_IO with the OS reason; on any failure the temp file is removed and `path` untouched.
void write_file_atomically(const std::string& path, const std::function<void(const ChunkSink&)>& produce);

// Reads a whole file. Throws ERR_RECKIT_IO.
std::string read_file(const std::string& path);

}  // namespace reckit
