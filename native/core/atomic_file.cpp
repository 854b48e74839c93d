// POSIX implementation of atomic file publication (Windows: write + MoveFileEx-style replace via rename).
#include "core/atomic_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <atomic>
#include <fstream>
#include <sstream>

#if defined(_WIN32)
#include <io.h>
#else
#include <sys/stat.h>
#include <unistd.h>
#endif

#include "core/error.h"

namespace reckit {
namespace {

std::string os_error(const std::string& what, const std::string& path) {
  return what + " '" + path + "': " + std::strerror(errno);
}

std::string temp_path_for(const std::string& path) {
  static std::atomic<unsigned> counter{0};
#if defined(_WIN32)
  const long pid = 0;
#else
  const long pid = static_cast<long>(getpid());
#endif
  return path + ".tmp-" + std::to_string(pid) + "-" + std::to_string(counter.fetch_add(1));
}

#if !defined(_WIN32)
void fsync_directory_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const int fd = ::open(dir.c_str(), O_RDONLY);
  if (fd >= 0) {
    ::fsync(fd);  // best effort: some filesystems refuse fsync on directories
    ::close(fd);
  }
}
#endif

}  // namespace

void write_file_atomically(const std::string& path, const std::function<void(const ChunkSink&)>& produce) {
  require(!path.empty(), ErrorCode::InvalidArg, "path must not be empty");
  const std::string temp = temp_path_for(path);
#if defined(_WIN32)
  const int fd = ::_open(temp.c_str(), _O_WRONLY | _O_CREAT | _O_EXCL | _O_BINARY, 0644);
#else
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
#endif
  if (fd < 0) fail(ErrorCode::Io, os_error("cannot create", temp));
  // Closes and removes the temporary file: the target is untouched on every failure path.
  auto discard_temp = [&] {
#if defined(_WIN32)
    ::_close(fd);
#else
    ::close(fd);
#endif
    std::remove(temp.c_str());
  };
  auto abandon = [&](const std::string& message) {
    discard_temp();
    fail(ErrorCode::Io, message);
  };
  try {
    produce([&](const void* data, size_t size) {
      const char* p = static_cast<const char*>(data);
      while (size > 0) {
        const size_t step = size < (size_t{1} << 30) ? size : (size_t{1} << 30);
#if defined(_WIN32)
        const long written = ::_write(fd, p, static_cast<unsigned>(step));
#else
        const ssize_t written = ::write(fd, p, step);
#endif
        if (written < 0) {
          if (errno == EINTR) continue;
          fail(ErrorCode::Io, os_error("cannot write", temp));
        }
        p += written;
        size -= static_cast<size_t>(written);
      }
    });
  } catch (const Error& e) {
    abandon(e.what());
  } catch (...) {
    // e.g. std::bad_alloc while producing the bytes: still close and remove the temp file.
    discard_temp();
    throw;
  }
#if defined(_WIN32)
  if (::_commit(fd) != 0) abandon(os_error("cannot flush", temp));
  ::_close(fd);
  std::remove(path.c_str());
#else
  if (::fsync(fd) != 0) abandon(os_error("cannot fsync", temp));
  if (::close(fd) != 0) {
    std::remove(temp.c_str());
    fail(ErrorCode::Io, os_error("cannot close", temp));
  }
#endif
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string message = os_error("cannot rename temp file onto", path);
    std::remove(temp.c_str());
    fail(ErrorCode::Io, message);
  }
#if !defined(_WIN32)
  fsync_directory_of(path);
#endif
}

std::string read_file(const std::string& path) {
#if !defined(_WIN32)
  // A directory opens as a stream on Linux and then reads as empty: say what it is (an I/O error),
  // not "truncated file".
  struct stat info {};
  if (::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode)) fail(ErrorCode::Io, "cannot read '" + path + "': it is a directory");
#endif
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorCode::Io, os_error("cannot open", path));
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) fail(ErrorCode::Io, os_error("cannot read", path));
  return content.str();
}

}  // namespace reckit
