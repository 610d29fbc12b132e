#include "outgoing_bytes.h"

#include <algorithm>

namespace mmx {

void OutgoingBytes::append_copy(std::string_view bytes) {
  if (bytes.empty()) return;
  if (pieces_.empty() || pieces_.back().owner) pieces_.emplace_back();
  pieces_.back().own.append(bytes);
}

void OutgoingBytes::append_shared(std::shared_ptr<const void> owner, std::string_view bytes) {
  if (bytes.empty()) return;
  Piece piece;
  piece.owner = std::move(owner);
  piece.shared = bytes;
  pieces_.push_back(std::move(piece));
}

std::size_t OutgoingBytes::size() const {
  std::size_t total = 0;
  for (const Piece& piece : pieces_) total += piece.bytes().size();
  return total - sent_of_front_;
}

std::string_view OutgoingBytes::front() const {
  return pieces_.empty() ? std::string_view() : pieces_.front().bytes().substr(sent_of_front_);
}

std::size_t OutgoingBytes::gather(iovec* vectors, std::size_t max) const {
  const std::size_t count = std::min(max, pieces_.size());
  for (std::size_t i = 0; i < count; ++i) {
    std::string_view bytes = pieces_[i].bytes();
    if (i == 0) bytes.remove_prefix(sent_of_front_);
    vectors[i] = {const_cast<char*>(bytes.data()), bytes.size()};
  }
  return count;
}

void OutgoingBytes::consume(std::size_t n) {
  std::size_t done = 0;
  while (n > 0 && done < pieces_.size()) {
    const std::size_t left = pieces_[done].bytes().size() - sent_of_front_;
    if (n < left) {
      sent_of_front_ += n;
      break;
    }
    n -= left;
    sent_of_front_ = 0;
    ++done;
  }
  pieces_.erase(pieces_.begin(), pieces_.begin() + static_cast<std::ptrdiff_t>(done));
}

void OutgoingBytes::clear() {
  pieces_.clear();
  sent_of_front_ = 0;
}

}  // namespace mmx
