#include "snapshot_fit.h"

#include <capnp/dynamic.h>
#include <capnp/orphan.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <optional>
#include <string_view>

#include "snapshot_limit_table.h"

namespace mmx {
namespace {

std::string_view view(kj::StringPtr text) {
  return {text.cStr(), text.size()};
}

std::string_view view(capnp::Text::Reader text) {
  return {text.cStr(), text.size()};
}

// Walks the snapshot like the frontend's check does (every field of every
// struct, every element of every list, the same per-list and per-snapshot
// counts), cutting instead of refusing.
class SnapshotFitter {
 public:
  std::vector<SnapshotCut> fit(schema::Snapshot::Builder snapshot) {
    walk_struct(capnp::toDynamic(snapshot));
    return std::move(cuts_);
  }

 private:
  void walk_struct(capnp::DynamicStruct::Builder builder) {
    const std::string_view struct_name = view(builder.getSchema().getShortDisplayName());
    if (struct_name == "Modem") modem_path_ = builder.get("path").as<capnp::Text>().asString();
    for (auto field : builder.getSchema().getNonUnionFields())
      walk_field(struct_name, field, builder);
    KJ_IF_MAYBE (field, builder.which()) {
      walk_field(struct_name, *field, builder);
    }
    if (struct_name == "Modem") modem_path_.clear();
  }

  void walk_field(std::string_view struct_name, const capnp::StructSchema::Field& field,
                  capnp::DynamicStruct::Builder& owner) {
    if (!owner.has(field)) return;  // pointers not set, and scalars at their default
    const std::string_view field_name = view(field.getProto().getName());
    auto value = owner.get(field);
    switch (value.getType()) {
      case capnp::DynamicValue::TEXT: {
        auto text = value.as<capnp::Text>().asReader();
        if (auto cut = fitted_text(struct_name, field_name, view(text))) {
          owner.set(field, capnp::Text::Reader(cut->c_str(), cut->size()));
        }
        break;
      }
      case capnp::DynamicValue::DATA: {
        auto data = value.as<capnp::Data>().asReader();
        const std::size_t max = text_limit(struct_name, field_name);
        if (data.size() > max) {
          const std::vector<kj::byte> prefix(data.begin(), data.begin() + max);
          record(struct_name, field_name, data.size(), max);
          owner.set(field, capnp::Data::Reader(prefix.data(), prefix.size()));
        }
        break;
      }
      case capnp::DynamicValue::STRUCT:
        walk_struct(value.as<capnp::DynamicStruct>());
        break;
      case capnp::DynamicValue::LIST:
        walk_list(struct_name, field_name, field, owner);
        break;
      default:
        break;  // scalars, enums
    }
  }

  void walk_list(std::string_view struct_name, std::string_view field_name,
                 const capnp::StructSchema::Field& field, capnp::DynamicStruct::Builder& owner) {
    const std::size_t index = list_limit_index(struct_name, field_name);
    auto list = owner.get(field).as<capnp::DynamicList>();
    // A list without a limit is a schema change the table missed: a unit
    // test catches it; emptying it here keeps the frontend answering.
    const ListLimit none{struct_name, field_name, 0, 0};
    const ListLimit& limit = index < std::size(kListLimits) ? kListLimits[index] : none;
    std::uint64_t unused = 0;
    std::uint64_t& total = index < std::size(kListLimits) ? totals_[index] : unused;
    const std::uint64_t room =
        limit.per_snapshot - std::min<std::uint64_t>(total, limit.per_snapshot);
    const auto keep =
        static_cast<unsigned>(std::min<std::uint64_t>({list.size(), limit.per_list, room}));
    if (keep < list.size()) {
      record(struct_name, field_name, list.size(), keep);
      list = shorten(field, owner, keep);
    }
    total += keep;
    for (unsigned i = 0; i < list.size(); ++i) {
      auto element = list[i];
      switch (element.getType()) {
        case capnp::DynamicValue::TEXT: {
          auto text = element.as<capnp::Text>().asReader();
          if (auto cut = fitted_text(struct_name, field_name, view(text))) {
            list.set(i, capnp::Text::Reader(cut->c_str(), cut->size()));
          }
          break;
        }
        case capnp::DynamicValue::STRUCT:
          walk_struct(element.as<capnp::DynamicStruct>());
          break;
        default:
          break;  // the schema has no lists of lists or of data
      }
    }
  }

  // What a text of `struct_name`.`field_name` is cut to (recorded), or
  // nothing when it is within its limit.
  std::optional<std::string> fitted_text(std::string_view struct_name, std::string_view field_name,
                                         std::string_view text) {
    const std::size_t max = text_limit(struct_name, field_name);
    if (text.size() <= max) return std::nullopt;
    std::string cut = is_label_text(struct_name, field_name)
                          ? distinct_prefix(text, max)
                          : std::string(text.substr(0, utf8_prefix_bytes(text, max)));
    record(struct_name, field_name, text.size(), cut.size());
    return cut;
  }

  // A copy of the list's first `keep` elements in its place.
  static capnp::DynamicList::Builder shorten(const capnp::StructSchema::Field& field,
                                             capnp::DynamicStruct::Builder& owner, unsigned keep) {
    auto old = owner.disown(field);
    auto source = old.getReader().as<capnp::DynamicList>();
    auto copy = owner.init(field, keep).as<capnp::DynamicList>();
    for (unsigned i = 0; i < keep; ++i) copy.set(i, source[i]);
    return copy;
  }

  void record(std::string_view struct_name, std::string_view field_name, std::size_t size,
              std::size_t kept) {
    cuts_.push_back(
        {std::string(struct_name) + "." + std::string(field_name), modem_path_, size, kept});
  }

  std::array<std::uint64_t, std::size(kListLimits)> totals_{};
  std::string modem_path_;
  std::vector<SnapshotCut> cuts_;
};

}  // namespace

std::size_t utf8_prefix_bytes(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text.size();
  std::size_t end = max_bytes;
  // Back over continuation bytes (10xxxxxx) to the start of the character
  // the cut would split; at most 3 of them in valid UTF-8.
  for (int i = 0; i < 3 && end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80; ++i) {
    --end;
  }
  return end;
}

std::string distinct_prefix(std::string_view text, std::size_t max_bytes) {
  constexpr std::size_t kSuffixBytes = 9;  // "~" and 8 hex digits
  const auto crc = ::crc32(::crc32(0, nullptr, 0), reinterpret_cast<const Bytef*>(text.data()),
                           static_cast<uInt>(std::min<std::size_t>(text.size(), UINT32_MAX)));
  char suffix[kSuffixBytes + 1];
  std::snprintf(suffix, sizeof suffix, "~%08lx", static_cast<unsigned long>(crc));
  std::string cut(text.substr(0, utf8_prefix_bytes(text, max_bytes - kSuffixBytes)));
  cut.append(suffix, kSuffixBytes);
  return cut;
}

std::vector<SnapshotCut> fit_snapshot_to_limits(schema::Snapshot::Builder snapshot) {
  return SnapshotFitter().fit(snapshot);
}

}  // namespace mmx
