#pragma once
// What a connection has yet to send, in order: pieces of its own (a
// response head, a scrape's exporter status) and views into bodies that
// every response shares (a cached exposition), each kept alive by its
// owner for as long as a piece of it waits here. A client that reads
// slowly, or not at all, holds a reference to the shared body, never a
// copy of it.

#include <sys/uio.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mmx {

class OutgoingBytes {
 public:
  // Copied; joins the last piece when that is a copy too.
  void append_copy(std::string_view bytes);
  // Not copied: `bytes` stays valid while `owner` lives.
  void append_shared(std::shared_ptr<const void> owner, std::string_view bytes);

  bool empty() const { return pieces_.empty(); }
  std::size_t size() const;
  // The first piece's unsent bytes.
  std::string_view front() const;
  // Up to `max` vectors over what is left, in order; how many were filled.
  std::size_t gather(iovec* vectors, std::size_t max) const;
  // `n` bytes were sent.
  void consume(std::size_t n);
  void clear();

 private:
  struct Piece {
    std::string own;
    std::shared_ptr<const void> owner;  // set: `shared` is the piece
    std::string_view shared;

    std::string_view bytes() const { return owner ? shared : std::string_view(own); }
  };
  std::vector<Piece> pieces_;
  std::size_t sent_of_front_ = 0;
};

}  // namespace mmx
